#!/usr/bin/env bash
# The unit tests under sanitizers (part of tests/run.sh; runnable alone):
#   1. every unit test (ctest -L unit) under ASan+UBSan, from the clang build that also
#      builds the fuzz targets (tests/ci/common.sh);
#   2. the unit tests of the modules with threads -- capture (live merger, byte sinks),
#      host (SSH connection, pktcap-uw process), orchestrator (runtime) -- under TSan.
# Any sanitizer report fails its test (ctest's summary for ASan, gtest's for TSan).
#
#   tests/ci/sanitize.sh              both
#   tests/ci/sanitize.sh asan|tsan    one of them
#   tests/ci/sanitize.sh build        only build (both builds, and the fuzz targets):
#                                     tests/run.sh runs this niced during its test stage
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
  local modules=(capture host orchestrator)
  configure_tsan
  echo "sanitize: building the ${modules[*]} unit tests with TSan in $VMC_TSAN_BUILD_DIR"
  local targets=()
  for m in "${modules[@]}"; do targets+=("vmc_${m}_tests"); done
  cmake --build "$VMC_TSAN_BUILD_DIR" -j"$VMC_JOBS" --target "${targets[@]}"
  local t1=$SECONDS
  # Each module's test binary runs whole (all its tests in one process, as threads
  # meet in real use); ctest's labels cannot pick modules, and the other modules'
  # binaries are not built here.
  echo "sanitize: TSan unit tests (${modules[*]})"
  for m in "${modules[@]}"; do
    local log=$VMC_TSAN_BUILD_DIR/tsan-$m.log
    if "$VMC_TSAN_BUILD_DIR/src/vmc_${m}_tests" --gtest_brief=1 >"$log" 2>&1; then
      echo "  vmc_${m}_tests: $(grep -E '^\[  PASSED  \]' "$log" | tail -1)"
    else
      echo "  vmc_${m}_tests: FAILED; the end of $log:"
      tail -n 60 "$log"
      failed+=("TSan vmc_${m}_tests")
    fi
  done
  echo "sanitize: TSan build $((t1 - t0)) s, tests $((SECONDS - t1)) s"
}

build_all() {
  local t0=$SECONDS
  configure_asan_fuzz
  mapfile -t targets < <(targets_matching "$VMC_SAN_BUILD_DIR" '^(vmc_[a-z]+_tests|fuzz_[a-z0-9_]+)$')
  echo "sanitize: building ${#targets[@]} unit test and fuzz binaries with ASan+UBSan in $VMC_SAN_BUILD_DIR"
  cmake --build "$VMC_SAN_BUILD_DIR" -j"$VMC_JOBS" --target "${targets[@]}" || failed+=("ASan+UBSan build")
  local t1=$SECONDS
  configure_tsan
  echo "sanitize: building the capture, host and orchestrator unit tests with TSan in $VMC_TSAN_BUILD_DIR"
  cmake --build "$VMC_TSAN_BUILD_DIR" -j"$VMC_JOBS" \
    --target vmc_capture_tests vmc_host_tests vmc_orchestrator_tests || failed+=("TSan build")
  echo "sanitize: ASan+UBSan build $((t1 - t0)) s, TSan build $((SECONDS - t1)) s"
}

case "$what" in
  build) build_all ;;
  all) run_asan; run_tsan ;;
  asan) run_asan ;;
  tsan) run_tsan ;;
  *) echo "usage: $0 [all|asan|tsan|build]" >&2; exit 2 ;;
esac

if [ ${#failed[@]} -gt 0 ]; then
  printf 'sanitize: FAILED: %s\n' "${failed[@]}" >&2
  exit 1
fi
echo "sanitize: all sanitizer tests passed"
