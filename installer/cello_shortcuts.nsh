; The Start-menu entries CPack's NSIS script does not make itself (nsis_installer.cmake includes
; this file into it). cello.exe is a console program: its entry is a command prompt, opened in the
; user's profile folder, with the installed bin\ on its PATH.

!macro CelloCreateShortcuts
  ; No working folder of its own: the command starts in the profile of whoever opens it (the
  ; installer's own profile would be the administrator's). /S: cmd keeps the inner quotes.
  CreateShortCut /NoWorkingDir "$SMPROGRAMS\$STARTMENU_FOLDER\Cello command prompt.lnk" "$SYSDIR\cmd.exe" \
      '/S /K ""cd /d "%USERPROFILE%" && set "PATH=$INSTDIR\bin;%PATH%" && cello --version""' "$INSTDIR\bin\cello.exe" 0
!macroend

!macro CelloDeleteShortcuts
  Delete "$SMPROGRAMS\$MUI_TEMP\Cello command prompt.lnk"
!macroend
