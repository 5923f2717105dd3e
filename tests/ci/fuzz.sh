#!/usr/bin/env bash
# Builds the libFuzzer targets (src/*/fuzz_*.cc; clang, ASan+UBSan, see common.sh) and
# runs each for a bounded time, printing executions per target from libFuzzer's final
# stats. Any crash, sanitizer report, leak, timeout or out-of-memory fails the run and
# leaves the input that caused it in <build>/fuzz-artifacts/.
#
#   tests/ci/fuzz.sh [seconds-per-target] [target...]
#     tests/run.sh runs it with 20 s per target (VMC_FUZZ_SECONDS);
#     the long run:  tests/ci/fuzz.sh 600
#   VMC_FUZZ_PARALLEL=N   targets run at once (default: nproc)
#   VMC_FUZZ_SEED=N       libFuzzer's random seed (default: a new one each run).
#     tests/run.sh fixes it (1): from a fresh clone, CI then tries the same inputs for
#     the same commit (a slower machine, a prefix of them), so its verdict is the
#     code's and not the luck of the draw. Exploring is the long run's job, with a new
#     seed each time; whatever it finds becomes a regression test beside the code.
#
# Corpora: the committed seeds (tests/fuzz/corpus/<target>/, made by make_corpus.py),
# plus the shipped plans for fuzz_plan_loader and the recorded vCenter replies of
# ../shared/conformance for fuzz_soap_reply (soap_seeds.py, at run time). What a run
# discovers is kept in <build>/fuzz-corpus/<target>/, so later runs start from it.
set -euo pipefail
cd "$(dirname "$0")/../.."
source tests/ci/common.sh

secs=${1:-20}
shift || true
build=$VMC_SAN_BUILD_DIR
parallel=${VMC_FUZZ_PARALLEL:-$(nproc)}

configure_asan_fuzz
if [ $# -gt 0 ]; then
  targets=("$@")
else
  mapfile -t targets < <(targets_matching "$build" '^fuzz_[a-z0-9_]+$')
fi
[ ${#targets[@]} -gt 0 ] || { echo "fuzz: no fuzz targets found" >&2; exit 1; }
echo "fuzz: building ${#targets[@]} targets in $build"
cmake --build "$build" -j"$VMC_JOBS" --target "${targets[@]}"

soap_seeds=$build/fuzz-seeds/fuzz_soap_reply
rm -rf "$soap_seeds"
# Debian's python3 (with python3-yaml from deps.sh), whatever else is first on PATH.
py=python3
[ -x /usr/bin/python3 ] && py=/usr/bin/python3
"$py" tests/ci/soap_seeds.py "$soap_seeds"

logs=$build/fuzz-logs
artifacts=$build/fuzz-artifacts
mkdir -p "$logs" "$artifacts"

run_one() {
  local t=$1 bin
  bin=$(find "$build" -name "$t" -type f -perm -u+x | head -1)
  local corpus=$build/fuzz-corpus/$t
  mkdir -p "$corpus"
  local seeds=()
  [ -d "tests/fuzz/corpus/$t" ] && seeds+=("tests/fuzz/corpus/$t")
  case $t in
    fuzz_plan_loader)
      seeds+=(examples policies src/plan/testdata/good src/plan/testdata/bad src/plan/testdata/policies) ;;
    fuzz_soap_reply)
      [ -d "$soap_seeds" ] && seeds+=("$soap_seeds") ;;
  esac
  # -timeout: one input taking 10 s is a hang; -rss_limit_mb: 2 GB per process.
  # Seed folders that exist in this checkout (git keeps no empty folder).
  local have=()
  for d in "${seeds[@]}"; do [ -d "$d" ] && have+=("$d"); done
  local rc=0 seed=()
  [ -n "${VMC_FUZZ_SEED:-}" ] && seed=(-seed="$VMC_FUZZ_SEED")
  "$bin" "${seed[@]}" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$artifacts/$t-" "$corpus" "${have[@]}" >"$logs/$t.log" 2>&1 || rc=$?
  echo "$rc" >"$logs/$t.rc"
}

# Runs the targets, `parallel` at a time.
for t in "${targets[@]}"; do
  rm -f "$logs/$t.rc"
  while [ "$(jobs -rp | wc -l)" -ge "$parallel" ]; do wait -n || true; done
  run_one "$t" &
done
wait
failed=()
for t in "${targets[@]}"; do
  [ "$(cat "$logs/$t.rc" 2>/dev/null || echo missing)" = 0 ] || failed+=("$t")
done

printf '\nfuzz: %s s per target, seed %s\n' "$secs" "${VMC_FUZZ_SEED:-random}"
printf '%-26s %12s %10s %8s %8s %s\n' target executions exec/s cov corpus result
for t in "${targets[@]}"; do
  log=$logs/$t.log
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  cov=$(grep -oE '(DONE|pulse|NEW|REDUCE|INITED) +cov: [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+$' || true)
  corp=$(find "$build/fuzz-corpus/$t" -type f | wc -l)
  result=ok
  for f in "${failed[@]}"; do [ "$f" = "$t" ] && result=FAILED; done
  printf '%-26s %12s %10s %8s %8s %s\n' "$t" "${execs:-?}" "${rate:-?}" "${cov:-?}" "$corp" "$result"
done

if [ ${#failed[@]} -gt 0 ]; then
  for t in "${failed[@]}"; do
    echo
    echo "fuzz: $t FAILED; the end of $logs/$t.log:"
    tail -n 60 "$logs/$t.log"
    echo "fuzz: reproduce with: $(find "$build" -name "$t" -type f -perm -u+x | head -1) <artifact from $artifacts/>"
  done
  exit 1
fi
echo "fuzz: no crash, hang, leak or sanitizer report in ${#targets[@]} targets"
