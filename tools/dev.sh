#!/usr/bin/env bash
# One entry point for a fresh Debian 12 machine:
#   tools/dev.sh run    install what is missing, build (Release), serve examples/hello/app.py on :8000
#   tools/dev.sh test   install what is missing, build, run each fuzz target for a short bounded
#                       time, the Windows cross build's checks (as `windows` below), then every
#                       test (C++ and Python)
#   tools/dev.sh fuzz [seconds]   build the libFuzzer targets (clang, ASan+UBSan) and run each
#                       for that many seconds (default 60); see docs/fuzzing.md
#   tools/dev.sh test-asan    the whole suite built with -DCELLO_SANITIZE=address,undefined
#   tools/dev.sh test-debug   the whole suite built as Debug with libstdc++ assertions
#   tools/dev.sh bench  install the peers, build, run bench/run.py (side-by-side benchmark)
#   tools/dev.sh studio [app.py]   install Qt 6, build, start cello-studio
#   tools/dev.sh windows    cross-build the engine, inspector, `cello bench` and their tests for
#                       Windows (MinGW-w64), run the tests under wine, make the NSIS installer
#                       and install/uninstall it under wine, and drive a Linux Cello server with
#                       cello.exe bench (docs/install.md, "Windows")
set -euo pipefail

cd "$(dirname "$0")/.."
BUILD_DIR=${CELLO_BUILD_DIR:-build}

BUILD_PACKAGES=(cmake ninja-build g++ ccache libboost1.81-dev libsimdjson-dev pybind11-dev python3-dev zlib1g-dev nlohmann-json3-dev libsqlite3-dev libpq-dev libssl-dev libnghttp2-dev libhiredis-dev pkg-config)
STUDIO_PACKAGES=(qt6-base-dev qt6-charts-dev libqt6opengl6-dev libqt6svg6 libsqlite3-dev librsvg2-bin)
FUZZ_PACKAGES=(clang libclang-rt-14-dev libfuzzer-14-dev)
TEST_PACKAGES=(libgtest-dev libgmock-dev python3-pytest curl openssl sslscan nghttp2-client redis-server python3-h2 python3-httpx prometheus python3-aiohttp python3-asyncpg python3-jinja2 python3-pydantic python3-jsonschema python3-websockets python3-wsproto postgresql help2man dpkg-dev fakeroot lintian desktop-file-utils appstream python3-venv python3-setuptools python3-wheel "${STUDIO_PACKAGES[@]}" "${FUZZ_PACKAGES[@]}")
WINDOWS_PACKAGES=(g++-mingw-w64-x86-64 wine64 tcl dpkg-dev nsis icoutils librsvg2-bin)
BENCH_PACKAGES=(wrk nghttp2-client nginx-light python3-fastapi uvicorn python3-uvloop python3-httptools python3-starlette python3-multipart python3-websockets util-linux python3-asyncpg python3-jinja2 postgresql)

install_missing() {
    local missing=()
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "Installing: ${missing[*]}"
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# Swagger UI, ReDoc and the OpenAPI 3.1 schema from the npm registry (third_party/docs-ui): the
# tests need them, so `test` installs npm when it is missing; `run` fetches them only if npm is there.
docs_ui() {
    if [ "${1:-}" = required ] && ! command -v npm >/dev/null; then install_missing npm; fi
    /usr/bin/python3 tools/docs_ui.py
}

build() {
    cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DPython_EXECUTABLE=/usr/bin/python3 "$@"
    cmake --build "$BUILD_DIR" -j2
}

# The fuzz targets: name and the largest input worth trying (-max_len).
FUZZ_TARGETS=(request:8192 router:512 url:1024 multipart:8192 json:4096)

# Builds build-fuzz (clang; only the fuzz targets) and runs each target for $1 seconds, one
# after the other, from its seed corpus plus what earlier runs in this build dir added
# (build-fuzz/corpus/<target>; the repository's tests/fuzz/corpus is only read). Fails if any
# target finds a crash, a sanitizer report, a failed invariant, a timeout or an OOM.
fuzz() {
    local seconds=${1:-60} dir=${CELLO_FUZZ_BUILD_DIR:-build-fuzz}
    CC=clang CXX=clang++ cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DPython_EXECUTABLE=/usr/bin/python3 -DCELLO_FUZZ=ON >/dev/null
    cmake --build "$dir" -j2 --target fuzz_all
    local passed=0 failed=0 spec name max_len work log
    mkdir -p "$dir/artifacts"
    for spec in "${FUZZ_TARGETS[@]}"; do
        name=${spec%%:*} max_len=${spec##*:}
        work="$dir/corpus/$name" log="$dir/fuzz_$name.log"
        mkdir -p "$work"
        cp -n tests/fuzz/corpus/"$name"/* "$work"/ 2>/dev/null || true
        if "$dir/tests/fuzz/fuzz_$name" "$work" -max_total_time="$seconds" -max_len="$max_len" \
                -timeout=25 -rss_limit_mb=2048 -print_final_stats=1 \
                -artifact_prefix="$dir/artifacts/$name-" >"$log" 2>&1; then
            passed=$((passed + 1))
            echo "fuzz_$name: OK, $(sed -n 's/^stat::number_of_executed_units: *//p' "$log") runs in ${seconds} s, corpus $(ls "$work" | wc -l) inputs"
        else
            failed=$((failed + 1))
            echo "fuzz_$name: FAILED (log: $log)"
            grep -E "ERROR|SUMMARY|check failed|json_fuzz:|Test unit written|^#[0-9]+ +(NEW|DONE)" "$log" | tail -15 || true
        fi
    done
    echo "fuzz: $passed passed, $failed failed"
    [ "$failed" -eq 0 ]
}

# The Windows cross build (docs/install.md, "Windows"): dependencies from Debian's sources, the
# build, its tests under wine, the NSIS installer installed and uninstalled under wine.
windows_cross() {
    install_missing "${BUILD_PACKAGES[@]}" "${WINDOWS_PACKAGES[@]}"
    tools/windows_deps.sh build-win/deps
    cmake -S . -B build-win/cello -G Ninja -DCMAKE_BUILD_TYPE=Release -DCELLO_WERROR=ON \
        -DCMAKE_TOOLCHAIN_FILE="$PWD/cmake/mingw-w64-x86_64.cmake" -DCELLO_DEPS_PREFIX="$PWD/build-win/deps"
    cmake --build build-win/cello -j2
    # One wineserver for the whole run: when each test's wine process starts its own, a test
    # can meet the previous one's server as it exits ("wine client error: recvmsg"). Booted
    # first with no output: wine's background services must not hold a test's output open.
    WINEDEBUG=-all /usr/lib/wine/wineserver64 -p </dev/null >/dev/null 2>&1
    WINEDEBUG=-all /usr/lib/wine/wine64 wineboot </dev/null >/dev/null 2>&1
    local rc=0
    ctest --test-dir build-win/cello --output-on-failure -j2 || rc=$?
    /usr/lib/wine/wineserver64 -k 2>/dev/null || true
    [ "$rc" -eq 0 ] || return "$rc"
    (cd build-win/cello && cpack -G NSIS)
    tests/windows/installer_check.sh "$(ls -t build-win/cello/Cello-*-win64.exe | head -1)"
}

# cello.exe bench (under wine) against the Linux build serving examples/hello on loopback.
windows_bench_check() {
    local port=18931 log out
    log=$(mktemp) out=$(mktemp)
    "$BUILD_DIR/cello" run examples/hello/app.py --host 127.0.0.1 --port $port --env production --no-logs >"$log" 2>&1 &
    local server=$!
    for _ in $(seq 100); do grep -q serving "$log" && break; sleep 0.1; done
    WINEDEBUG=-all /usr/lib/wine/wine64 build-win/cello/inspector/cello.exe bench "http://127.0.0.1:$port/" -c 8 -d 2 >"$out" 2>&1 || true
    kill $server; wait $server 2>/dev/null || true
    cat "$out"
    if grep -q "Requests/sec:" "$out" && grep -q "Errors: connect 0, read 0, write 0, timeout 0, status 4xx 0, status 5xx 0" "$out"; then
        echo "windows: cello.exe bench drove the Linux server without errors"
    else
        echo "windows: cello.exe bench failed against the Linux server" >&2
        return 1
    fi
}

case "${1:-}" in
    run)
        install_missing "${BUILD_PACKAGES[@]}"
        docs_ui
        build -DCELLO_BUILD_TESTS=OFF -DCELLO_BUILD_STUDIO=OFF
        exec "$BUILD_DIR/cello" run examples/hello/app.py --host 127.0.0.1 --port 8000
        ;;
    test)
        install_missing "${BUILD_PACKAGES[@]}" "${TEST_PACKAGES[@]}" "${WINDOWS_PACKAGES[@]}"
        docs_ui required
        build -DCELLO_BUILD_TESTS=ON -DCELLO_BUILD_STUDIO=ON -DCELLO_WERROR=ON
        # The fuzz targets and Windows (the cross build, its tests under wine, the installer,
        # cello.exe against this build's server) first, so that CTest's summary ends the run.
        fuzz "${CELLO_FUZZ_SECONDS:-15}"
        windows_cross
        windows_bench_check
        ctest --test-dir "$BUILD_DIR" --output-on-failure -j2
        ;;
    fuzz)
        install_missing "${BUILD_PACKAGES[@]}" "${FUZZ_PACKAGES[@]}"
        fuzz "${2:-60}"
        ;;
    test-asan)
        # Every target built with ASan+UBSan (g++); tests/CMakeLists.txt sets the sanitizer
        # runtime environment for the tests (docs/fuzzing.md says why).
        install_missing "${BUILD_PACKAGES[@]}" "${TEST_PACKAGES[@]}"
        BUILD_DIR=${CELLO_BUILD_DIR:-build-asan}
        docs_ui required
        build -DCELLO_BUILD_TESTS=ON -DCELLO_BUILD_STUDIO=ON -DCELLO_SANITIZE=address,undefined
        # One test at a time: sanitized code is several times slower, and some tests bound how
        # long things take (a reload noticed within 5 s, the studio's event loop never stalled
        # 1 s) on the assumption that the Python suite and the GUI test do not share two cores.
        ctest --test-dir "$BUILD_DIR" --output-on-failure -j1
        ;;
    test-debug)
        install_missing "${BUILD_PACKAGES[@]}" "${TEST_PACKAGES[@]}"
        BUILD_DIR=${CELLO_BUILD_DIR:-build-debug}
        docs_ui required
        build -DCELLO_BUILD_TESTS=ON -DCELLO_BUILD_STUDIO=ON -DCMAKE_BUILD_TYPE=Debug \
            -DCMAKE_CXX_FLAGS=-D_GLIBCXX_ASSERTIONS
        ctest --test-dir "$BUILD_DIR" --output-on-failure -j1  # unoptimized: see test-asan
        ;;
    bench)
        install_missing "${BUILD_PACKAGES[@]}" "${BENCH_PACKAGES[@]}"
        build -DCELLO_BUILD_TESTS=OFF -DCELLO_BUILD_STUDIO=OFF
        shift
        exec /usr/bin/python3 bench/run.py --cello-bin "$BUILD_DIR/cello" "$@"
        ;;
    studio)
        install_missing "${BUILD_PACKAGES[@]}" "${STUDIO_PACKAGES[@]}"
        build -DCELLO_BUILD_TESTS=OFF -DCELLO_BUILD_STUDIO=ON
        shift
        exec "$BUILD_DIR/cello-studio" "$@"
        ;;
    windows)
        windows_cross
        build -DCELLO_BUILD_TESTS=OFF -DCELLO_BUILD_STUDIO=OFF
        windows_bench_check
        ;;
    *)
        echo "usage: tools/dev.sh run|test|test-asan|test-debug|fuzz [seconds]|bench|studio|windows [options]" >&2
        exit 2
        ;;
esac
