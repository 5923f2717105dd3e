#!/usr/bin/env bash
# The test command (README, .ci/run): installs what is missing, builds, and runs every
# test, in stages:
#   deps      tests/deps.sh
#   build     the main build (RelWithDebInfo, every target)
#   test      ctest: unit tests, SOAP conformance against ../shared recordings, the lab's
#             own Go tests, CLI checks and the integration tests against the lab
#   sanbuild  the clang builds for the next two stages (tests/ci/sanitize.sh build); it
#             runs in the background at the lowest CPU and I/O priority while the test
#             stage runs (whose integration tests mostly wait on the lab), and the stage
#             waits for it to finish
#   sanitize  unit tests under ASan+UBSan, and those of the threaded modules under TSan
#             (tests/ci/sanitize.sh)
#   fuzz      every libFuzzer target for VMC_FUZZ_SECONDS each (tests/ci/fuzz.sh), with
#             the fixed seed VMC_FUZZ_SEED, so the same commit is fuzzed the same way
# A failing stage does not stop the later ones (except deps); the run fails at the end,
# naming every failed stage. The last lines printed are the stages' times and results.
#
#   tests/run.sh                every stage (what CI runs)
#   VMC_FULL=0 tests/run.sh     deps, build and test only (no sanitizers, no fuzzing)
#   VMC_BUILD_DIR=dir           main build directory (default: build)
#   VMC_CTEST_ARGS="-L unit"    extra ctest arguments for the test stage (e.g. a label)
#   VMC_FUZZ_SECONDS=20         seconds per fuzz target (the long run: tests/ci/fuzz.sh 600)
#   VMC_FUZZ_SEED=1             libFuzzer seed of the fuzz stage
#   VMC_JOBS=N                  parallel compile and test jobs (default: nproc)
set -uo pipefail
cd "$(dirname "$0")/.."

build=${VMC_BUILD_DIR:-build}
jobs=${VMC_JOBS:-$(nproc)}
export VMC_JOBS=$jobs
results=()
failed=()

# stage NAME COMMAND...: runs one stage, timing it and recording its result.
stage() {
  local name=$1 t0=$SECONDS rc=0
  shift
  echo "=== stage $name: $*"
  "$@" || rc=$?
  local dt=$((SECONDS - t0))
  if [ $rc -eq 0 ]; then
    results+=("$(printf '%-9s %5d s  ok' "$name" "$dt")")
  else
    results+=("$(printf '%-9s %5d s  FAILED (exit %d)' "$name" "$dt" "$rc")")
    failed+=("$name")
    echo "=== stage $name FAILED (exit $rc)" >&2
  fi
  return $rc
}

main_build() {
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null &&
    cmake --build "$build" -j"$jobs"
}

main_tests() {
  # shellcheck disable=SC2086
  ctest --test-dir "$build" --output-on-failure -j"$jobs" ${VMC_CTEST_ARGS:-}
}

full=${VMC_FULL:-1}
san_log=$build/sanitizer-build.log
san_rc=$build/sanitizer-build.rc
san_pid=

# The sanitizer builds, niced, in the background (see sanbuild above).
start_sanitizer_build() {
  rm -f "$san_rc"
  (
    rc=0
    nice -n 19 ionice -c 3 tests/ci/sanitize.sh build >"$san_log" 2>&1 || rc=$?
    echo "$rc" >"$san_rc"
  ) &
  san_pid=$!
  echo "=== sanitizer builds started in the background (log: $san_log)"
}

wait_sanitizer_build() {
  if [ -z "$san_pid" ]; then
    tests/ci/sanitize.sh build
    return
  fi
  wait "$san_pid" || true
  tail -n 3 "$san_log"
  local rc
  rc=$(cat "$san_rc" 2>/dev/null || echo 1)
  [ "$rc" = 0 ] || { echo "the sanitizer builds failed; the end of $san_log:"; tail -n 40 "$san_log"; }
  return "$rc"
}

stage deps tests/deps.sh || { echo "tests/run.sh: stage deps failed; nothing else can run" >&2; exit 1; }
if stage build main_build; then
  [ "$full" = 1 ] && start_sanitizer_build
  stage test main_tests
else
  results+=("$(printf '%-9s %7s  skipped: the build failed' test -)")
  failed+=(test)
fi
if [ "$full" = 1 ]; then
  if stage sanbuild wait_sanitizer_build; then
    stage sanitize tests/ci/sanitize.sh
    VMC_FUZZ_SEED=${VMC_FUZZ_SEED:-1} stage fuzz tests/ci/fuzz.sh "${VMC_FUZZ_SECONDS:-20}"
  else
    failed+=(sanitize fuzz)
  fi
fi

echo
echo "=== tests/run.sh: stages (total $SECONDS s)"
printf '%s\n' "${results[@]}"
if [ ${#failed[@]} -gt 0 ]; then
  echo "tests/run.sh: FAILED stage(s): ${failed[*]}" >&2
  exit 1
fi
echo "tests/run.sh: all stages passed"
