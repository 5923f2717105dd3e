#!/usr/bin/env bash
# Benchmark: `capture merge` against Wireshark's mergecap on the same inputs.
#
#   tests/bench/merge/run_bench.sh [BUILD_DIR]
#
# Generates FILES pcap inputs of FRAMES frames each (deterministic, mixed sizes) with
# vmc_bench_merge_gen, runs both tools RUNS times (alternating, medians reported) under
# /usr/bin/time -v, then checks that the two outputs hold the same frames in the same
# order: with vmc_bench_merge_compare (timestamps, lengths, bytes) and with tshark
# (frame.time_epoch, frame.len, frame.cap_len and an MD5 of each frame's bytes; the two
# field dumps must hash the same). Prints wall time, CPU time and peak RSS of both and
# their ratio; exits 1 if the outputs differ or the acceptance (>= 2x faster, lower peak
# memory) is not met.
#
# Environment: BENCH_DIR (default /dev/shm/vmc-bench-merge: a tmpfs, so the figures
# measure the tools and not this VM's disk, whose write-back throttling makes any tool
# disk-bound), FILES (4), FRAMES (2000000), RUNS (3), TSHARK (full | sample | off;
# sample checks the first 200000 frames), KEEP=1 keeps the outputs, CHECK_SPEED=0 only
# checks that the outputs are equal (for ctest: no timed assertions), MERGE (command
# used for our side; default BUILD_DIR/capture merge: the real executable, which runs
# merge without loading its commands module).
set -euo pipefail

BUILD=${1:-$(cd "$(dirname "$0")/../../.." && pwd)/build}
DIR=${BENCH_DIR:-/dev/shm/vmc-bench-merge}
FILES=${FILES:-4}
FRAMES=${FRAMES:-2000000}
RUNS=${RUNS:-3}
TSHARK=${TSHARK:-full}
GEN=$BUILD/tests/bench/merge/vmc_bench_merge_gen
CMP=$BUILD/tests/bench/merge/vmc_bench_merge_compare
MERGE=${MERGE:-$BUILD/capture merge}
read -ra merge_cmd <<<"$MERGE"
for tool in "$GEN" "$CMP" "${merge_cmd[0]}" /usr/bin/time mergecap; do
  command -v "$tool" >/dev/null || { echo "missing $tool (build the bench targets first)" >&2; exit 2; }
done

mkdir -p "$DIR"
stamp="$DIR/inputs-$FILES-$FRAMES"
if [[ ! -e $stamp ]]; then
  rm -f "$DIR"/in*.pcap "$DIR"/inputs-*
  echo "generating $FILES x $FRAMES frames in $DIR ..."
  "$GEN" "$DIR" "$FILES" "$FRAMES" >/dev/null
  touch "$stamp"
fi
inputs=()
for ((k = 0; k < FILES; k++)); do inputs+=("$DIR/in$k.pcap"); done
echo "inputs: ${FILES} files, $(du -shc "${inputs[@]}" | tail -1 | cut -f1), $((FILES * FRAMES)) frames"
echo "ours:   $MERGE"
echo "theirs: $(mergecap -v 2>/dev/null | head -1)"

# run NAME OUT CMD...: one timed run; appends "wall cpu rss" to $DIR/NAME.times.
run() {
  local name=$1 out=$2
  shift 2
  rm -f "$out"
  /usr/bin/time -v -o "$DIR/$name.time" "$@" >/dev/null
  awk -F': ' '
    /Elapsed \(wall clock\)/ { n = split($2, t, ":"); w = 0; for (i = 1; i <= n; i++) w = w * 60 + t[i] }
    /User time/ { u = $2 } /System time/ { s = $2 } /Maximum resident/ { r = $2 }
    END { printf "%.2f %.2f %.2f %d\n", w, u + s, u, r }' "$DIR/$name.time" >>"$DIR/$name.times"
}

rm -f "$DIR"/*.times
for ((i = 1; i <= RUNS; i++)); do
  if ((i % 2)); then
    run mergecap "$DIR/theirs.pcapng" mergecap -w "$DIR/theirs.pcapng" "${inputs[@]}"
    run capture "$DIR/ours.pcapng" "${merge_cmd[@]}" "${inputs[@]}" -w "$DIR/ours.pcapng"
  else
    run capture "$DIR/ours.pcapng" "${merge_cmd[@]}" "${inputs[@]}" -w "$DIR/ours.pcapng"
    run mergecap "$DIR/theirs.pcapng" mergecap -w "$DIR/theirs.pcapng" "${inputs[@]}"
  fi
  echo "run $i: capture merge $(tail -1 "$DIR/capture.times")  mergecap $(tail -1 "$DIR/mergecap.times")  (wall cpu user rss_kb)"
done

# Medians of each column.
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
col() { cut -d' ' -f"$2" "$DIR/$1.times" | median; }
ow=$(col capture 1); oc=$(col capture 2); orss=$(cut -d' ' -f4 "$DIR/capture.times" | sort -n | tail -1)
tw=$(col mergecap 1); tc=$(col mergecap 2); trss=$(cut -d' ' -f4 "$DIR/mergecap.times" | sort -n | tail -1)

status=0
echo
echo "== same frames, same order? =="
if "$CMP" "$DIR/ours.pcapng" "$DIR/theirs.pcapng"; then :; else status=1; fi
if [[ $TSHARK != off ]]; then
  limit=()
  [[ $TSHARK == sample ]] && limit=(-c 200000)
  fields() {
    tshark -r "$1" "${limit[@]}" -o frame.generate_md5_hash:TRUE \
      --disable-protocol ALL --enable-protocol frame \
      -T fields -e frame.time_epoch -e frame.len -e frame.cap_len -e frame.md5_hash 2>/dev/null
  }
  # Each dump is hashed as it streams (no copy on disk); awk counts its lines.
  digest() {
    fields "$1" | awk -v out="$2" '{ print; n++ } END { print n + 0 > out }' | sha256sum | cut -c1-16
  }
  ours_hash=$(digest "$DIR/ours.pcapng" "$DIR/ours.count")
  theirs_hash=$(digest "$DIR/theirs.pcapng" "$DIR/theirs.count")
  ours_lines=$(cat "$DIR/ours.count")
  theirs_lines=$(cat "$DIR/theirs.count")
  echo "tshark ($TSHARK): capture merge $ours_lines frames sha256 $ours_hash; mergecap $theirs_lines frames sha256 $theirs_hash"
  if [[ $ours_lines != "$theirs_lines" || $ours_hash != "$theirs_hash" ]]; then
    echo "tshark: DIFFERENT"
    status=1
  else
    echo "tshark: SAME"
  fi
fi
[[ ${KEEP:-0} == 1 ]] || rm -f "$DIR/ours.pcapng" "$DIR/theirs.pcapng"

echo
echo "== medians of $RUNS runs ($((FILES * FRAMES)) frames) =="
printf "%-14s %10s %10s %12s\n" tool "wall s" "cpu s" "peak RSS KB"
printf "%-14s %10s %10s %12s\n" "capture merge" "$ow" "$oc" "$orss"
printf "%-14s %10s %10s %12s\n" mergecap "$tw" "$tc" "$trss"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
echo "speed-up: wall $(ratio "$tw" "$ow")x, cpu $(ratio "$tc" "$oc")x; memory: mergecap/capture $(ratio "$trss" "$orss")x"
if [[ ${CHECK_SPEED:-1} == 0 ]]; then
  echo "acceptance: not checked (CHECK_SPEED=0)"
elif awk -v tw="$tw" -v ow="$ow" -v tr="$trss" -v or="$orss" 'BEGIN { exit !(tw >= 2 * ow && or < tr) }'; then
  echo "acceptance (>= 2x faster wall time, lower peak RSS): MET"
else
  echo "acceptance (>= 2x faster wall time, lower peak RSS): NOT MET"
  status=1
fi
exit $status
