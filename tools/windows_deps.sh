#!/usr/bin/env bash
# Builds the Windows (MinGW-w64) libraries the engine, the inspector and their tests need, from
# Debian's own sources, into a prefix (default build-win/deps):
#   zlib, simdjson, SQLite   `apt-get source` of the versions Debian 12 ships (a deb-src entry in a
#                            private apt directory: the machine's apt configuration is not touched)
#   GoogleTest               /usr/src/googletest (Debian's libgtest-dev / googletest)
#   Boost (Asio, Beast), nlohmann/json   header-only: Debian's headers, linked into the prefix
# Usage: tools/windows_deps.sh [PREFIX]. Idempotent: a library already in the prefix is skipped.
set -euo pipefail

cd "$(dirname "$0")/.."
REPO=$PWD
PREFIX=$(realpath -m "${1:-build-win/deps}")
WORK="$PREFIX/work"
TOOLCHAIN="$REPO/cmake/mingw-w64-x86_64.cmake"
CC=x86_64-w64-mingw32-gcc-posix
AR=x86_64-w64-mingw32-ar
mkdir -p "$PREFIX/include" "$PREFIX/lib" "$WORK"

# Debian's source packages, fetched with a private sources list (deb-src for bookworm).
fetch_sources() {
    local apt="$WORK/apt"
    mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial"
    echo "deb-src http://deb.debian.org/debian bookworm main" >"$apt/sources.list"
    local opts=(-o "Dir::Etc::SourceList=$apt/sources.list" -o Dir::Etc::SourceParts=/dev/null
                -o "Dir::State::Lists=$apt/lists" -o "Dir::Cache=$apt/cache" -o APT::Sandbox::User=root)
    [ -n "$(ls "$apt/lists" 2>/dev/null | grep -v partial)" ] || apt-get "${opts[@]}" update -qq
    (cd "$WORK" && apt-get "${opts[@]}" source -qq "$@")
}

quietly() {  # runs a step, its output in a log shown only if it fails
    local log="$WORK/step.log"
    if ! "$@" >"$log" 2>&1; then
        tail -30 "$log"
        echo "windows_deps: failed: $*" >&2
        exit 1
    fi
}

cmake_configure() {  # source dir, build dir, extra arguments
    local src=$1 build=$2
    shift 2
    quietly cmake -S "$src" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_TOOLCHAIN_FILE="$TOOLCHAIN" \
        -DCELLO_DEPS_PREFIX="$PREFIX" -DCMAKE_INSTALL_PREFIX="$PREFIX" -DBUILD_SHARED_LIBS=OFF "$@"
}

cmake_cross() {  # configure, build and install
    cmake_configure "$@"
    quietly cmake --build "$2" -j2
    quietly cmake --install "$2"
}

# Header-only libraries: the same headers as the Linux build.
ln -sfn /usr/include/boost "$PREFIX/include/boost"
ln -sfn /usr/include/nlohmann "$PREFIX/include/nlohmann"

if [ ! -f "$PREFIX/lib/libz.a" ]; then
    echo "zlib: Debian's source"
    fetch_sources zlib
    src=$(ls -d "$WORK"/zlib-[0-9]*/ | head -1)
    # The static library only: Debian's source (dfsg) has no win32/ resource file for the DLL.
    cmake_configure "$src" "$WORK/zlib-build"
    quietly cmake --build "$WORK/zlib-build" -j2 --target zlibstatic
    cp "$WORK/zlib-build/libzlibstatic.a" "$PREFIX/lib/libz.a"
    cp "$src/zlib.h" "$WORK/zlib-build/zconf.h" "$PREFIX/include/"
fi

if [ ! -f "$PREFIX/lib/libsimdjson.a" ]; then
    echo "simdjson: Debian's source"
    fetch_sources simdjson
    cmake_cross "$(ls -d "$WORK"/simdjson-[0-9]*/ | head -1)" "$WORK/simdjson-build" -DSIMDJSON_DEVELOPER_MODE=OFF
fi

if [ ! -f "$PREFIX/lib/libsqlite3.a" ]; then
    echo "SQLite: Debian's source (amalgamation made with the build machine's tclsh)"
    fetch_sources sqlite3
    src=$(ls -d "$WORK"/sqlite3-[0-9]*/ | head -1)
    [ -f "$src/sqlite3.c" ] || { (cd "$src" && quietly ./configure) && quietly make -C "$src" sqlite3.c; }
    quietly $CC -O2 -DSQLITE_THREADSAFE=1 -c "$src/sqlite3.c" -o "$WORK/sqlite3.o"
    rm -f "$PREFIX/lib/libsqlite3.a"
    quietly $AR rcs "$PREFIX/lib/libsqlite3.a" "$WORK/sqlite3.o"
    cp "$src/sqlite3.h" "$src/sqlite3ext.h" "$PREFIX/include/"
fi

if [ ! -f "$PREFIX/lib/libgtest.a" ]; then
    echo "GoogleTest: /usr/src/googletest"
    cmake_cross /usr/src/googletest "$WORK/gtest-build" -Dgtest_disable_pthreads=OFF
fi

echo "Windows dependencies in $PREFIX"
