#!/usr/bin/env bash
# Benchmark: re-pin latency of `capture vm` against the loop an admin scripts today.
#
#   tests/bench/repin/run.sh [BUILD_DIR]
#
# Starts the lab with testvm1 flooding (FLOOD_PPS UDP frames/s carrying sequence numbers
# from power-on, so frames cross a new port continuously from its assignment and "first
# frame captured" measures the capture, not the guest's boot), then runs side by side on
# the same resets:
#   - `capture vm testvm1 -w ours.pcapng` (BUILD_DIR/capture);
#   - baseline_loop.sh: OpenSSH polling `esxcli network vm list` / `vm port list` every
#     POLL s and restarting `pktcap-uw --switchport P --dir 2 -o -` when the port changes.
# RESETS resets of testvm1 (the lab's control endpoint, which calls vCenter's ResetVM_Task
# path), one every RESET_EVERY s. Then analyze.py prints, per tool: port assigned -> first
# frame captured on the new port (median, p90, p99, worst), ports never captured, flood
# frames missed per reset; and port assigned -> capture started (manifest pin-opened /
# the loop's launch of pktcap-uw).
#
# Environment: BENCH_DIR (/dev/shm/vmc-bench-repin), RESETS (50), RESET_EVERY (8: longer
# than the loop's poll, so each of its re-pins is measured; the 8 s vs 5 s phases spread
# the resets over its poll cycle), POLL (5), FLOOD_PPS (1000), BOOT_DHCP_DELAY (0s),
# LAB_ARGS (more lab flags), ONLY=ours|baseline runs one side alone (the other's columns then
# read "never"), DETAIL=1 also prints one line per reset, KEEP=1 keeps BENCH_DIR.
# Needs: the lab (Go), OpenSSH client, ssh-keygen, curl, python3. No password tool: the
# loop logs in with a key given to the lab with --authorized-keys.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
BUILD=$(cd "${1:-$root/build}" && pwd)
DIR=${BENCH_DIR:-/dev/shm/vmc-bench-repin}
RESETS=${RESETS:-50}
EVERY=${RESET_EVERY:-8}
POLL=${POLL:-5}
PPS=${FLOOD_PPS:-1000}
VM=testvm1
ONLY=${ONLY:-}
run_ours=1 run_loop=1
[[ $ONLY == baseline ]] && run_ours=0
[[ $ONLY == ours ]] && run_loop=0
for tool in "$BUILD/capture" ssh ssh-keygen curl python3; do
  command -v "$tool" >/dev/null || { echo "missing $tool" >&2; exit 2; }
done

rm -rf "$DIR"
mkdir -p "$DIR/lab" "$DIR/baseline"
ssh-keygen -q -t ed25519 -N '' -C vmc-bench -f "$DIR/id"

lab_pid="" cap_pid="" loop_pid=""
cleanup() {
  [[ -n $loop_pid ]] && kill "$loop_pid" 2>/dev/null
  [[ -n $cap_pid ]] && kill -INT "$cap_pid" 2>/dev/null
  [[ -n $lab_pid ]] && kill "$lab_pid" 2>/dev/null
  wait 2>/dev/null
  [[ ${KEEP:-0} == 1 ]] || rm -rf "$DIR"
}
trap cleanup EXIT

# shellcheck disable=SC2086
"$root/tests/lab/run" --state-dir "$DIR/lab" --flood-pps "$PPS" --flood-vm "$VM" \
  --boot-dhcp-delay "${BOOT_DHCP_DELAY:-0s}" --authorized-keys "$DIR/id.pub" ${LAB_ARGS:-} \
  >"$DIR/lab.out" 2>&1 &
lab_pid=$!
for _ in $(seq 300); do [[ -e $DIR/lab/lab.json ]] && break; sleep 0.1; done
[[ -e $DIR/lab/lab.json ]] || { echo "lab did not start:" >&2; cat "$DIR/lab.out" >&2; exit 1; }
# shellcheck disable=SC1091
source "$DIR/lab/env"
host=$(curl -s "$VMC_LAB_CONTROL/state" | python3 -c "
import json, sys
s = json.load(sys.stdin)
vms = s if isinstance(s, list) else s.get('vms', s)
print(next(v['host'] for v in vms if v['name'] == '$VM'))")

echo "== re-pin latency: $RESETS resets of $VM every ${EVERY}s, flood ${PPS} frames/s, boot DHCP delay ${BOOT_DHCP_DELAY:-0s} =="
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at start (other jobs share it)"
echo "ours:     $BUILD/capture vm $VM -w ours.pcapng (built $(date -r "$(ls -t "$BUILD/capture" "$BUILD/libvmc-commands.so" 2>/dev/null | head -1)" "+%F %T"); tree at $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?') + uncommitted changes, if any)"
echo "baseline: baseline_loop.sh: OpenSSH $(ssh -V 2>&1 | cut -d, -f1), esxcli poll every ${POLL}s, pktcap-uw restarted on a port change"

# In BENCH_DIR with core dumps allowed: a crash leaves its core there (and BENCH_DIR is kept).
if ((run_ours)); then
  (cd "$DIR" && ulimit -c unlimited 2>/dev/null; exec "$BUILD/capture" --state-dir "$DIR/vmc-state" \
    vm "$VM" -w "$DIR/ours.pcapng" 2>"$DIR/ours.log") &
  cap_pid=$!
fi
if ((run_loop)); then
  "$here/baseline_loop.sh" "$DIR/lab/ssh_config" "$DIR/id" "$host" "$VM" "$DIR/baseline" "$POLL" \
    2>"$DIR/loop.err" &
  loop_pid=$!
fi
ready=0
for _ in $(seq 300); do
  if { ((!run_ours)) || grep -q "capturing to" "$DIR/ours.log" 2>/dev/null; } &&
     { ((!run_loop)) || [[ $(find "$DIR/baseline" -name '*.pcap' -size +1k | wc -l) -gt 0 ]]; }; then
    ready=1
    break
  fi
  sleep 0.1
done
[[ $ready == 1 ]] || { echo "a capture did not start; capture log:" >&2; cat "$DIR/ours.log" >&2; exit 1; }
sleep 2
since=$(date +%s%N)
for ((i = 1; i <= RESETS; i++)); do
  curl -sf -X POST "$VMC_LAB_CONTROL/vm/$VM/reset" >/dev/null || echo "reset $i failed" >&2
  ((i % 10 == 0)) && echo "  $i resets done ($(date +%T), load $(cut -d' ' -f1 /proc/loadavg))"
  sleep "$EVERY"
done
sleep 1
until=$(date +%s%N)
cap_status=0
if [[ -n $cap_pid ]]; then
  kill -INT "$cap_pid" 2>/dev/null || echo "capture vm had already exited" >&2
  wait "$cap_pid" || cap_status=$?
  cap_pid=""
fi
if ((cap_status != 0)); then
  echo "capture vm exited with status $cap_status$( ((cap_status > 128)) && echo " (signal $((cap_status - 128)))"); kept: $DIR (ours.log, core if any); its log ends:"
  tail -5 "$DIR/ours.log" | sed 's/^/    /'
  KEEP=1
fi
if [[ -n $loop_pid ]]; then
  kill "$loop_pid"
  wait "$loop_pid" 2>/dev/null || true
  loop_pid=""
fi
kill "$lab_pid"
wait "$lab_pid" 2>/dev/null || true
lab_pid=""
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo

# A session that did not finalize left its output as .part.
ours_file=$DIR/ours.pcapng
[[ -e $ours_file ]] || ours_file=$DIR/ours.pcapng.part
python3 "$here/analyze.py" --truth "$DIR/lab/truth.jsonl" --vm "$VM" --since "$since" \
  --until "$until" --poll "$POLL" --ours "$ours_file" --manifest "$DIR/ours.manifest.json" \
  --baseline-dir "$DIR/baseline" --baseline-log "$DIR/baseline/loop.log" ${DETAIL:+--detail}
