#!/bin/bash
# The Windows installer, checked under wine as a user would meet it (tools/dev.sh windows runs this
# after `cpack -G NSIS`): a silent install into a fresh wine prefix; the installed cello.exe runs
# and carries its icon; the Start-menu entries, the licence and the entry in Windows' installed
# programs are there; then the uninstaller removes the files, the entries and the registration.
# usage: tests/windows/installer_check.sh Cello-<version>-win64.exe
set -euo pipefail
installer=$(realpath "$1")
WINE=${CELLO_WINE64:-/usr/lib/wine/wine64}
prefix=$(mktemp -d)
trap 'WINEPREFIX=$prefix wineserver -k 2>/dev/null || true; rm -rf "$prefix"' EXIT
# A prefix of our own; no menu entries or file associations in the user's desktop, no Mono or
# Gecko download prompts.
export WINEPREFIX=$prefix WINEDEBUG=-all WINEDLLOVERRIDES="winemenubuilder.exe=d;mscoree=d;mshtml=d"
PATH=/usr/lib/wine:$PATH

fail() { echo "windows installer: FAILED: $*" >&2; exit 1; }
step() { echo "windows installer: $*"; }

"$WINE" wineboot --init >/dev/null 2>&1
"$WINE" "$installer" /S '/D=C:\Cello' >/dev/null 2>&1 || fail "the silent install exited with $?"
wineserver -w

root=$prefix/drive_c/Cello
for f in bin/cello.exe doc/README.md doc/install.md doc/benchmarking.md doc/LICENSE.txt Uninstall.exe; do
    [ -f "$root/$f" ] || fail "C:\\Cello\\$f was not installed"
done
grep -q "zlib" "$root/doc/LICENSE.txt" || fail "LICENSE.txt lacks the third-party copyright files"
version=$("$WINE" 'C:\Cello\bin\cello.exe' --version 2>&1 | tr -d '\r' || true)
[[ $version == "cello "* ]] || fail "the installed cello.exe --version said: $version"
step "installed; C:\\Cello\\bin\\cello.exe --version: $version"
if command -v wrestool >/dev/null; then
    wrestool -l "$root/bin/cello.exe" | grep -q "type=group_icon" || fail "cello.exe has no icon resource"
fi

menu=$(find "$prefix/drive_c" -path "*Start Menu/Programs/Cello*" -name "*.lnk" -printf "%f\n" | sort)
for entry in "Cello command prompt.lnk" "Cello documentation.lnk" "Uninstall.lnk"; do
    grep -qxF "$entry" <<<"$menu" || fail "no Start-menu entry '$entry' (found: ${menu//$'\n'/, })"
done
step "Start menu: ${menu//$'\n'/, }"
# The command prompt entry does what it says: its command (read from the shortcut, /K made /C so
# that it returns) finds cello on the PATH it sets.
lnk=$(find "$prefix/drive_c" -path "*Start Menu/Programs/Cello*/Cello command prompt.lnk" | head -1)
args=$(strings -el "$lnk" | grep -m1 -F "cello --version") || fail "no command in the prompt's shortcut"
args="/S${args#*/S}"  # (the string's length, stored before it, may read as a character)
printf '@%s %s\r\n' 'C:\windows\system32\cmd.exe' "${args/ \/K / /C }" >"$prefix/drive_c/prompt.bat"
said=$("$WINE" cmd /c 'C:\prompt.bat' 2>&1 | tr -d '\r' || true)
[[ $said == *"$version"* ]] || fail "the command prompt entry's command said: $said"
step "the command prompt entry runs: $(tail -1 <<<"$said")"
key='HKLM\Software\Microsoft\Windows\CurrentVersion\Uninstall\Cello'
"$WINE" reg query "$key" /v UninstallString 2>/dev/null | grep -q 'Uninstall.exe' \
    || fail "no UninstallString under $key"
step "registered under $key"

# _?= runs the uninstaller in place (otherwise it copies itself away and returns at once); it
# cannot delete itself then, so Uninstall.exe is the one file left.
"$WINE" 'C:\Cello\Uninstall.exe' /S '_?=C:\Cello' >/dev/null 2>&1 || fail "the silent uninstall exited with $?"
wineserver -w
left=$(cd "$root" && find . -type f ! -name Uninstall.exe | sort)
[ -z "$left" ] || fail "files left after uninstalling: $left"
[ -z "$(find "$prefix/drive_c" -path "*Start Menu/Programs/Cello*")" ] || fail "Start-menu entries left after uninstalling"
if "$WINE" reg query "$key" >/dev/null 2>&1; then fail "$key left after uninstalling"; fi
step "uninstalled: files, Start-menu entries and registration removed"
