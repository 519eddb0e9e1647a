#!/usr/bin/env bash
# Builds the libFuzzer targets (clang-14, ASan + UBSan) in their own build tree and
# runs each for a bounded time; prints execs and crashes per target.
#
#   tests/fuzz/run-fuzzers.sh [SECONDS] [TARGET...]     default: 60 s, every fuzz_*.cpp
#
# Seeds come from tests/fuzz/corpus/<target>/ (read only); what a run discovers goes
# to $DESO_FUZZ_WORK_DIR/corpus/<target>/ and is reused by the next run. A crash
# leaves its input in $DESO_FUZZ_WORK_DIR/crashes/<target>/ and its log next to it;
# replay it with: <build>/tests/fuzz/<target> <crash file>.
# Every run is appended to $DESO_FUZZ_WORK_DIR/ledger.tsv, and the table also shows
# the executions summed over all runs kept there.
#
# Environment: DESO_FUZZ_RUNS (stop a target after this many executions, whichever
# comes first with SECONDS), DESO_FUZZ_BUILD_DIR (default <repo>/build-fuzz), DESO_FUZZ_WORK_DIR
# (default <build>/work), CXX_FUZZ / CC_FUZZ (default clang++-14 / clang-14).
# Exit status: 0 when every target ran without a crash, 1 otherwise.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
seconds=${1:-60}
[ $# -gt 0 ] && shift
build=${DESO_FUZZ_BUILD_DIR:-$root/build-fuzz}
work=${DESO_FUZZ_WORK_DIR:-$build/work}
cxx=${CXX_FUZZ:-clang++-14}
cc=${CC_FUZZ:-clang-14}

if [ $# -gt 0 ]; then
  targets=("$@")
else
  targets=()
  for f in "$here"/fuzz_*.cpp; do targets+=("$(basename "$f" .cpp)"); done
fi

for tool in "$cxx" "$cc" cmake ninja; do
  if ! command -v "$tool" >/dev/null; then
    echo "run-fuzzers.sh: $tool is missing; install it with packaging/install-deps.sh --fuzz" >&2
    exit 1
  fi
done

# Several runs may share one build tree (e.g. one per core): configure and build one at a
# time, or two CMake re-runs clash.
mkdir -p "$build"
exec 9>"$build/.run-fuzzers.lock"
flock 9
if [ ! -f "$build/build.ninja" ]; then
  cmake -S "$root" -B "$build" -G Ninja -DDESO_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_C_COMPILER="$cc" >/dev/null
fi
echo "run-fuzzers.sh: building ${#targets[@]} fuzz target(s) in $build" >&2
cmake --build "$build" --target "${targets[@]}" >"$build/fuzz-build.log" 2>&1 || {
  tail -n 40 "$build/fuzz-build.log" >&2
  echo "run-fuzzers.sh: the fuzz build failed (full log: $build/fuzz-build.log)" >&2
  exit 1
}
flock -u 9

# Per-target input size bounds: above each parser's own limit, so the refusal is fuzzed too.
max_len() {
  case "$1" in
    fuzz_http_head) echo 20000 ;;    # head limit is 16 KiB
    fuzz_jwt) echo 9000 ;;           # token limit is 8192 bytes
    fuzz_image_pipeline) echo 3000 ;; # "small inputs": every accepted one is decoded and encoded
    *) echo 4096 ;;
  esac
}

export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
mkdir -p "$work"
ledger="$work/ledger.tsv"
status=0
printf '%-22s %10s %12s %10s %8s %16s\n' target seconds execs execs/s crashes "execs (all runs)"
for t in "${targets[@]}"; do
  bin="$build/tests/fuzz/$t"
  mkdir -p "$work/corpus/$t" "$work/crashes/$t"
  seeds=()
  [ -d "$here/corpus/$t" ] && seeds+=("$here/corpus/$t")
  dict=()
  [ -f "$here/dict/$t.dict" ] && dict+=("-dict=$here/dict/$t.dict")
  log="$work/$t.log"
  marker="$work/.start-$t"
  touch "$marker"
  rc=0
  "$bin" -max_total_time="$seconds" -runs="${DESO_FUZZ_RUNS:--1}" -print_final_stats=1 -max_len="$(max_len "$t")" -timeout=30 \
    -rss_limit_mb=2560 -artifact_prefix="$work/crashes/$t/" "${dict[@]}" \
    "$work/corpus/$t" "${seeds[@]}" >"$log" 2>&1 || rc=$?
  execs=$(awk '/stat::number_of_executed_units/ {print $2}' "$log" | tail -n 1)
  # "Done N runs in S second(s)" is printed however the run stopped (time or -runs).
  secs=$(awk '/^Done [0-9]+ runs in/ {print $5}' "$log" | tail -n 1)
  # Crash, leak, timeout and out-of-memory inputs written by this run.
  crashes=$(find "$work/crashes/$t" -type f ! -name '*.log' -newer "$marker" | wc -l)
  if [ "$rc" -ne 0 ] || [ -z "$execs" ]; then
    status=1
    cp "$log" "$work/crashes/$t/$(date -u +%Y%m%dT%H%M%S).log" 2>/dev/null || true
    echo "run-fuzzers.sh: $t stopped with status $rc; see $log" >&2
    grep -m 5 -E 'ERROR|FUZZ_CHECK|runtime error|Test unit written' "$log" >&2 || true
  fi
  execs=${execs:-0}
  secs=${secs:-$seconds}
  printf '%s\t%s\t%s\t%s\t%s\n' "$(date -u +%FT%TZ)" "$t" "$secs" "$execs" "$rc" >>"$ledger"
  total=$(awk -F'\t' -v t="$t" '$2 == t {s += $4} END {print s + 0}' "$ledger")
  rate=$(( secs > 0 ? execs / secs : execs ))
  printf '%-22s %10s %12s %10s %8s %16s\n' "$t" "$secs" "$execs" "$rate" "$crashes" "$total"
done
exit $status
