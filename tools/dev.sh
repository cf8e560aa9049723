#!/usr/bin/env bash
# One entry point for a fresh Debian 12 machine:
#   tools/dev.sh run    install what is missing, build (Release), serve examples/hello/app.py on :8000
#   tools/dev.sh test   install what is missing, build, run every test (C++ and Python)
#   tools/dev.sh bench  install the peers, build, run bench/run.py (side-by-side benchmark)
#   tools/dev.sh studio [app.py]   install Qt 6, build, start cello-studio
set -euo pipefail

cd "$(dirname "$0")/.."
BUILD_DIR=${CELLO_BUILD_DIR:-build}

BUILD_PACKAGES=(cmake ninja-build g++ ccache libboost1.81-dev libsimdjson-dev pybind11-dev python3-dev zlib1g-dev nlohmann-json3-dev)
STUDIO_PACKAGES=(qt6-base-dev qt6-charts-dev libqt6opengl6-dev libsqlite3-dev)
TEST_PACKAGES=(libgtest-dev libgmock-dev python3-pytest prometheus "${STUDIO_PACKAGES[@]}")
BENCH_PACKAGES=(wrk nginx-light python3-fastapi uvicorn python3-uvloop python3-httptools python3-starlette util-linux)

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

build() {
    cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DPython_EXECUTABLE=/usr/bin/python3 "$@"
    cmake --build "$BUILD_DIR" -j2
}

case "${1:-}" in
    run)
        install_missing "${BUILD_PACKAGES[@]}"
        build -DCELLO_BUILD_TESTS=OFF -DCELLO_BUILD_STUDIO=OFF
        exec "$BUILD_DIR/cello" run examples/hello/app.py --host 127.0.0.1 --port 8000
        ;;
    test)
        install_missing "${BUILD_PACKAGES[@]}" "${TEST_PACKAGES[@]}"
        build -DCELLO_BUILD_TESTS=ON -DCELLO_BUILD_STUDIO=ON -DCELLO_WERROR=ON
        ctest --test-dir "$BUILD_DIR" --output-on-failure -j2
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
    *)
        echo "usage: tools/dev.sh run|test|bench|studio [options]" >&2
        exit 2
        ;;
esac
