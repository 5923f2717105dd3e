# Shared by tests/ci/sanitize.sh and tests/ci/fuzz.sh (sourced, not run).
#
# One clang build serves both: -DVMC_FUZZ=ON instruments every object for libFuzzer
# (coverage) and ASan+UBSan, so the unit test binaries of that build run under
# ASan+UBSan and the fuzz targets link the same libraries. The TSan build is another.
# For compile time on two cores, both build with -O0 -g1 (VMC_SAN_OPT; line tables keep
# the reports' stack traces readable), test code gets no fuzzing coverage, and no
# NDEBUG, so asserts stay on. Executables link --as-needed: a test binary that uses none
# of libgsoapssl++ must not carry it (its references to the generated code would stay
# unresolved: the code under test pulls no gSOAP object from the static library).
# Integration tests, lab and benchmarks (tests/) are not
# built: VMC_INTEGRATION=OFF. A long fuzzing run may prefer optimised code:
#   VMC_SAN_OPT=-O1 tests/ci/fuzz.sh 600   (rebuilds the sanitizer build with -O1)

VMC_SAN_BUILD_DIR=${VMC_SAN_BUILD_DIR:-build-ci-asan}
VMC_TSAN_BUILD_DIR=${VMC_TSAN_BUILD_DIR:-build-ci-tsan}
VMC_JOBS=${VMC_JOBS:-$(nproc)}

# Sanitizer reports: symbolized, fatal, and with the UBSan stack.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1}
if command -v llvm-symbolizer >/dev/null; then
  export ASAN_SYMBOLIZER_PATH=${ASAN_SYMBOLIZER_PATH:-$(command -v llvm-symbolizer)}
fi

# configure_clang DIR [cmake -D options...]
configure_clang() {
  local dir=$1
  shift
  local opt="${VMC_SAN_OPT:--O0} -g1"
  CC=clang CXX=clang++ cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Debug \
    -DCMAKE_C_FLAGS_DEBUG="$opt" -DCMAKE_CXX_FLAGS_DEBUG="$opt" \
    -DCMAKE_EXE_LINKER_FLAGS=-Wl,--as-needed \
    -DVMC_INTEGRATION=OFF "$@" >/dev/null
}

configure_asan_fuzz() {
  configure_clang "$VMC_SAN_BUILD_DIR" -DVMC_FUZZ=ON -DVMC_TESTS=ON \
    -DVMC_TEST_CODE_FLAGS="-fno-sanitize=fuzzer-no-link"
}
configure_tsan() { configure_clang "$VMC_TSAN_BUILD_DIR" -DVMC_TSAN=ON -DVMC_TESTS=ON -DVMC_TEST_CODE_FLAGS=""; }

# targets_matching DIR REGEX: the build targets of DIR whose name matches REGEX.
targets_matching() {
  ninja -C "$1" -t targets all | sed -n 's/^\([A-Za-z0-9_]*\): .*/\1/p' | grep -E "$2" | sort -u
}
