#!/usr/bin/env bash
# The demo: installs what is missing, builds, starts the embedded lab and captures testvm1
# while the lab resets it twice, power-cycles it once and migrates it once.
set -euo pipefail
cd "$(dirname "$0")/.."
tests/deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)"
echo "demo: not yet: the orchestrator (capture vm) has not landed." >&2
exit 1
