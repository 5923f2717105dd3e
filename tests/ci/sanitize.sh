#!/usr/bin/env bash
# The unit tests under sanitizers (part of tests/run.sh; runnable alone):
#   1. every unit test (ctest -L unit) under ASan+UBSan, from the clang build that also
#      builds the fuzz targets (tests/ci/common.sh);
#   2. the unit tests of the modules with threads -- capture (live merger, byte sinks),
#      host (SSH connection, pktcap-uw process), orchestrator (runtime) -- under TSan.
# Any sanitizer report fails its test, so ctest's summary is the verdict.
#
#   tests/ci/sanitize.sh              both
#   tests/ci/sanitize.sh asan|tsan    one of them
#   VMC_SAN_BUILD_DIR / VMC_TSAN_BUILD_DIR / VMC_JOBS   see tests/ci/common.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
source tests/ci/common.sh

what=${1:-all}
failed=()

run_asan() {
  local t0=$SECONDS
  configure_asan_fuzz
  mapfile -t targets < <(targets_matching "$VMC_SAN_BUILD_DIR" '^vmc_[a-z]+_tests$')
  echo "sanitize: building ${#targets[@]} unit test binaries with ASan+UBSan in $VMC_SAN_BUILD_DIR"
  cmake --build "$VMC_SAN_BUILD_DIR" -j"$VMC_JOBS" --target "${targets[@]}"
  local t1=$SECONDS
  echo "sanitize: ASan+UBSan unit tests"
  if ! ctest --test-dir "$VMC_SAN_BUILD_DIR" -L unit --output-on-failure -j"$VMC_JOBS"; then
    failed+=("ASan+UBSan unit tests")
  fi
  echo "sanitize: ASan+UBSan build $((t1 - t0)) s, tests $((SECONDS - t1)) s"
}

run_tsan() {
  local t0=$SECONDS
  configure_tsan
  echo "sanitize: building the capture, host and orchestrator tests with TSan in $VMC_TSAN_BUILD_DIR"
  cmake --build "$VMC_TSAN_BUILD_DIR" -j"$VMC_JOBS" \
    --target vmc_capture_tests vmc_host_tests vmc_orchestrator_tests
  local t1=$SECONDS
  echo "sanitize: TSan unit tests (capture, host, orchestrator)"
  if ! ctest --test-dir "$VMC_TSAN_BUILD_DIR" -L '^(capture|host|orchestrator)$' \
      --output-on-failure -j"$VMC_JOBS"; then
    failed+=("TSan unit tests")
  fi
  echo "sanitize: TSan build $((t1 - t0)) s, tests $((SECONDS - t1)) s"
}

case "$what" in
  all) run_asan; run_tsan ;;
  asan) run_asan ;;
  tsan) run_tsan ;;
  *) echo "usage: $0 [all|asan|tsan]" >&2; exit 2 ;;
esac

if [ ${#failed[@]} -gt 0 ]; then
  printf 'sanitize: FAILED: %s\n' "${failed[@]}" >&2
  exit 1
fi
echo "sanitize: all sanitizer tests passed"
