# The Windows installer (the cross build, tools/dev.sh windows): `cpack -G NSIS` with Debian's nsis
# makes Cello-<version>-win64.exe. It installs cello.exe (`cello bench`), the documentation and the
# licences under "Program Files\Cello"; makes Start-menu entries (a command prompt with cello on its
# PATH, the documentation folder, the uninstaller) and registers Cello with Windows' installed
# programs. Its uninstaller removes all of that. CPack's NSIS script template
# does the installing; this file says what goes in and which entries the Start menu gets.
install(TARGETS cello RUNTIME DESTINATION bin COMPONENT cello)
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR}/docs/install.md
              ${PROJECT_SOURCE_DIR}/docs/benchmarking.md
        DESTINATION doc COMPONENT cello)

# The licence page and doc\LICENSE.txt: Cello's own statement, then the copyright files of what is
# linked into cello.exe, from the Debian packages the cross build took them from.
set(licence ${CMAKE_CURRENT_BINARY_DIR}/LICENSE.txt)
file(READ ${CMAKE_CURRENT_SOURCE_DIR}/windows_licence.txt text)
foreach(package zlib1g-dev libsimdjson-dev libsqlite3-dev libboost1.81-dev nlohmann-json3-dev
                mingw-w64-x86-64-dev g++-mingw-w64-x86-64-posix)
  set(copyright /usr/share/doc/${package}/copyright)
  if(NOT EXISTS ${copyright})
    message(FATAL_ERROR "${copyright} is missing: the installer's licence file needs Debian's ${package}")
  endif()
  file(READ ${copyright} part)
  string(APPEND text "\n\n==== ${package} (Debian: ${copyright}) ====\n\n${part}")
endforeach()
string(REPLACE "\n" "\r\n" text "${text}")  # Notepad and the installer's licence page want CRLF
file(WRITE ${licence} "${text}")
install(FILES ${licence} DESTINATION doc COMPONENT cello)

set(CPACK_GENERATOR NSIS)
set(CPACK_PACKAGE_NAME Cello)
set(CPACK_PACKAGE_VENDOR "The Cello developers")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Cello: a native web engine for Python handlers (Windows: cello bench)")
set(CPACK_PACKAGE_INSTALL_DIRECTORY Cello)
set(CPACK_PACKAGE_INSTALL_REGISTRY_KEY Cello)
set(CPACK_RESOURCE_FILE_LICENSE ${licence})
set(CPACK_STRIP_FILES ON)
set(CPACK_MONOLITHIC_INSTALL ON)  # one program: no components page
set(CPACK_NSIS_DISPLAY_NAME "Cello ${PROJECT_VERSION}")
set(CPACK_NSIS_PACKAGE_NAME "Cello ${PROJECT_VERSION}")
set(CPACK_NSIS_INSTALL_ROOT "$PROGRAMFILES64")
set(CPACK_NSIS_MUI_ICON ${CELLO_ICO})
set(CPACK_NSIS_MUI_UNIICON ${CELLO_ICO})
set(CPACK_NSIS_INSTALLED_ICON_NAME "bin\\\\cello.exe")  # the icon Windows' installed programs show
# No CPACK_NSIS_MODIFY_PATH: CPack's PATH editing goes through NSIS strings, which Debian's
# makensis limits to 1,024 characters, and would cut a longer PATH. The Start menu's command prompt
# has cello on its PATH instead.
set(CPACK_NSIS_ENABLE_UNINSTALL_BEFORE_INSTALL ON)
set(CPACK_NSIS_URL_INFO_ABOUT "https://github.com/cello-web/cello")
set(CPACK_NSIS_CONTACT "cello@example.org")
set(CPACK_NSIS_MENU_LINKS "doc" "Cello documentation")
# The command-prompt entry: cello_shortcuts.nsh. (CPack writes these values into its config file
# as they are, hence the escaped quotes.)
# Target: a 64-bit installer, like cello.exe (Debian's nsis has the amd64 stubs and plugins; a
# 32-bit one would also need 32-bit wine to be tested here).
set(CPACK_NSIS_DEFINES "Target amd64-unicode\n!include \\\"${CMAKE_CURRENT_SOURCE_DIR}/cello_shortcuts.nsh\\\"")
set(CPACK_NSIS_CREATE_ICONS_EXTRA "!insertmacro CelloCreateShortcuts")
set(CPACK_NSIS_DELETE_ICONS_EXTRA "!insertmacro CelloDeleteShortcuts")
include(CPack)
