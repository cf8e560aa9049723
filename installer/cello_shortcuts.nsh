; The Start-menu entries CPack's NSIS script does not make itself (nsis_installer.cmake includes
; this file into it). cello.exe is a console program: its entry is a command prompt, opened in the
; user's profile folder, with the installed bin\ on its PATH.

!macro CelloCreateShortcuts
  SetOutPath "$PROFILE"  ; the shortcut's working folder
  CreateShortCut "$SMPROGRAMS\$STARTMENU_FOLDER\Cello command prompt.lnk" "$SYSDIR\cmd.exe" \
      '/K "set PATH=$INSTDIR\bin;%PATH%&& cello --version"' "$INSTDIR\bin\cello.exe" 0
  SetOutPath "$INSTDIR"
!macroend

!macro CelloDeleteShortcuts
  Delete "$SMPROGRAMS\$MUI_TEMP\Cello command prompt.lnk"
!macroend
