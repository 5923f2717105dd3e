#!/usr/bin/env bash
# The test command (README, .ci/run): installs what is missing, builds, and runs every
# test: unit tests, SOAP conformance against ../shared recordings, the lab's own Go tests
# and the integration tests against the lab. All of them are ctest tests, so the last
# lines printed are ctest's summary.
#
#   tests/run.sh              everything
#   VMC_BUILD_DIR=dir         build directory (default: build)
#   VMC_CTEST_ARGS="-L unit"  extra ctest arguments (e.g. a label)
set -euo pipefail
cd "$(dirname "$0")/.."

tests/deps.sh
build=${VMC_BUILD_DIR:-build}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j"$(nproc)"
# shellcheck disable=SC2086
ctest --test-dir "$build" --output-on-failure -j"$(nproc)" ${VMC_CTEST_ARGS:-}
