#!/usr/bin/env bash
# One entry point for the README's commands:
#   ./dev.sh run [deso-media args...]   install what is missing, build, run the app
#   ./dev.sh test                       install what is missing, build, run every test but the soak
#                                       (DESO_SOAK=1 ./dev.sh test includes it)
#   ./dev.sh bench                      install what is missing, build, run the benchmarks
set -euo pipefail
cd "$(dirname "$0")"
root=$(pwd)
build=${DESO_BUILD_DIR:-$root/build}
cmd=${1:-}
[ $# -gt 0 ] && shift

deps() { "$root/packaging/install-deps.sh" "$@"; }
configure_and_build() {
  if [ ! -f "$build/build.ninja" ]; then
    cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
  fi
  cmake --build "$build" --parallel "$(nproc)"
}

case "$cmd" in
  run)
    deps
    configure_and_build
    if [ -n "${DISPLAY:-}" ] || [ -n "${WAYLAND_DISPLAY:-}" ]; then
      exec "$build/app/deso-media" "$@"
    fi
    shot="$build/deso-media-window.png"
    echo "No display found (DISPLAY and WAYLAND_DISPLAY are unset), so the window cannot be shown here." >&2
    echo "1. Rendering the window off-screen (QT_QPA_PLATFORM=offscreen) into $shot." >&2
    QT_QPA_PLATFORM=offscreen "$build/app/deso-media" --screenshot "$shot" "$@"
    echo "2. Starting the local endpoint host headless (deso-media --serve, 127.0.0.1 only)." >&2
    echo "   Try: curl -s http://127.0.0.1:8089/api/v0/get-video-status/00000000000000000000000000000000" >&2
    echo "   or:  $build/app/deso-media upload-video FILE --node http://127.0.0.1:8089 --wait" >&2
    echo "   Stop it with Ctrl-C." >&2
    exec "$build/app/deso-media" --serve --port "${DESO_PORT:-8089}"
    ;;
  test)
    # --fuzz: clang-14 and libFuzzer for the fuzz_smoke test (tests/fuzz/run-fuzzers.sh).
    # --s3rver: the S3 test server for the S3 tests, into the build tree.
    deps --fuzz --s3rver "$build/npm/s3rver"
    configure_and_build
    cd "$build"
    # The soak test (label "soak", 60 s of load beside 1,000 slow clients) runs only
    # when asked: DESO_SOAK=1 ./dev.sh test, or cd build && ctest -L soak.
    exclude=(-LE soak)
    [ "${DESO_SOAK:-0}" = 1 ] && exclude=()
    QT_QPA_PLATFORM=offscreen ctest --output-on-failure --timeout 900 "${exclude[@]}" "$@"
    ;;
  bench)
    deps --bench
    configure_and_build
    for b in "$build"/tests/bench/*_bench; do
      [ -x "$b" ] && "$b" "$@"
    done
    ;;
  *)
    echo "usage: ./dev.sh run [args...] | test [ctest args...] | bench" >&2
    exit 64
    ;;
esac
