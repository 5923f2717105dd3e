#!/usr/bin/env bash
# Benchmark: sustained ingest of the lab's flood into a file — `capture vm testvm1 -w F`
# against OpenSSH streaming pktcap-uw's pcap into a file:
#   ssh -F ssh_config esx01 'pktcap-uw --switchport P --dir 2 -o -' > F
#
#   tests/bench/ingest/run.sh [BUILD_DIR]
#
# One lab (testvm1 flooding UDP frames with sequence numbers, FLOOD_LEN bytes each).
# For each rate of RATES (frames/s), each tool in turn captures for DURATION s (counted
# from when it is capturing: ours' "capturing to" log line, the ssh file's first bytes);
# the flood is paused between runs. analyze.py then compares each file with truth.jsonl:
# frames/s and MB/s written, drops = flood frames truth saw on the port within the file's
# window minus those in the file, and the rate the lab actually offered (it is itself
# limited by this machine's CPU). Prints a table and the first rate at which each tool
# drops more than DROP_PCT percent.
#
# Environment: BENCH_DIR (/dev/shm/vmc-bench-ingest; a tmpfs so the disk is not measured),
# RATES ("5000 20000 50000 100000"), DURATION (10), FLOOD_LEN (512), DROP_PCT (0.1),
# LAB_ARGS, KEEP=1 keeps BENCH_DIR. Needs: the lab (Go), OpenSSH client, ssh-keygen,
# curl, python3 (the loop logs in with a key given to the lab with --authorized-keys).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
BUILD=$(cd "${1:-$root/build}" && pwd)
DIR=${BENCH_DIR:-/dev/shm/vmc-bench-ingest}
RATES=${RATES:-"5000 20000 50000 100000"}
DURATION=${DURATION:-10}
FLOOD_LEN=${FLOOD_LEN:-512}
DROP_PCT=${DROP_PCT:-0.1}
VM=testvm1
for tool in "$BUILD/capture" ssh ssh-keygen curl python3; do
  command -v "$tool" >/dev/null || { echo "missing $tool" >&2; exit 2; }
done

rm -rf "$DIR"
mkdir -p "$DIR/lab"
ssh-keygen -q -t ed25519 -N '' -C vmc-bench -f "$DIR/id"
lab_pid="" tool_pid=""
cleanup() {
  [[ -n $tool_pid ]] && kill "$tool_pid" 2>/dev/null
  [[ -n $lab_pid ]] && kill "$lab_pid" 2>/dev/null
  wait 2>/dev/null
  [[ ${KEEP:-0} == 1 ]] || rm -rf "$DIR"
}
trap cleanup EXIT

# shellcheck disable=SC2086
"$root/tests/lab/run" --state-dir "$DIR/lab" --flood-vm "$VM" --authorized-keys "$DIR/id.pub" \
  ${LAB_ARGS:-} >"$DIR/lab.out" 2>&1 &
lab_pid=$!
for _ in $(seq 300); do [[ -e $DIR/lab/lab.json ]] && break; sleep 0.1; done
[[ -e $DIR/lab/lab.json ]] || { echo "lab did not start:" >&2; cat "$DIR/lab.out" >&2; exit 1; }
# shellcheck disable=SC1091
source "$DIR/lab/env"
read -r host port < <(curl -s "$VMC_LAB_CONTROL/state" | python3 -c "
import json, sys
v = next(v for v in json.load(sys.stdin) if v['name'] == '$VM')
print(v['host'], list(v['ports'].values())[0])")
truth=$DIR/lab/truth.jsonl
flood() { curl -sf -X POST "$VMC_LAB_CONTROL/settings?flood_pps=$1&flood_frame_len=$FLOOD_LEN" >/dev/null; }
cpu_s() { awk '{ printf "%.2f", ($14 + $15) / '"$(getconf CLK_TCK)"' }' "/proc/$1/stat" 2>/dev/null || echo -; }

echo "== ingest: $VM flooding ${FLOOD_LEN}-byte frames on $host port $port, ${DURATION}s per tool and rate =="
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at start (other jobs share it)"
echo "ours:     $BUILD/capture vm $VM -w FILE.pcapng (built $(date -r "$(ls -t "$BUILD/capture" "$BUILD/libvmc-commands.so" 2>/dev/null | head -1)" "+%F %T"); tree at $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?') + uncommitted changes, if any)"
echo "openssh:  ssh -F ssh_config $host 'pktcap-uw --switchport $port --dir 2 -o -' > FILE.pcap ($(ssh -V 2>&1 | cut -d, -f1))"

# one TOOL RATE: one capture run; appends "TOOL RATE CPU LABCPU FROM TO FILE" to $DIR/runs
# (CPU: the tool's process over its whole run; LABCPU: the lab's over the same time).
one() {
  local tool=$1 rate=$2 out from to cpu lab0 lab1
  flood "$rate"
  sleep 1
  from=$(stat -c %s "$truth")
  lab0=$(cpu_s "$lab_pid")
  if [[ $tool == ours ]]; then
    out=$DIR/ours-$rate.pcapng
    "$BUILD/capture" --state-dir "$DIR/vmc-state" vm "$VM" -w "$out" 2>"$DIR/ours-$rate.log" &
    tool_pid=$!
    for _ in $(seq 600); do grep -q "capturing to" "$DIR/ours-$rate.log" && break; sleep 0.05; done
  else
    out=$DIR/ssh-$rate.pcap
    ssh -F "$DIR/lab/ssh_config" -i "$DIR/id" -o IdentitiesOnly=yes -o BatchMode=yes -n "$host" \
      "pktcap-uw --switchport $port --dir 2 -o -" >"$out" 2>"$DIR/ssh-$rate.log" &
    tool_pid=$!
    for _ in $(seq 600); do [[ $(stat -c %s "$out" 2>/dev/null || echo 0) -gt 24 ]] && break; sleep 0.05; done
  fi
  sleep "$DURATION"
  cpu=$(cpu_s "$tool_pid")
  lab1=$(cpu_s "$lab_pid")
  if [[ $tool == ours ]]; then kill -INT "$tool_pid"; else kill "$tool_pid"; fi
  wait "$tool_pid" 2>/dev/null || true
  tool_pid=""
  flood 0
  sleep 0.5
  to=$(stat -c %s "$truth")
  echo "$tool $rate $cpu $(awk -v a="$lab0" -v b="$lab1" 'BEGIN { printf "%.2f", b - a }') $from $to $out" \
    >>"$DIR/runs"
  echo "  $(date +%T) $tool at $rate/s done (load $(cut -d' ' -f1 /proc/loadavg))"
}

n=0
for rate in $RATES; do
  # Alternate which goes first, so a drift of the machine's load favours neither.
  if ((n++ % 2 == 0)); then
    one ours "$rate"
    one ssh "$rate"
  else
    one ssh "$rate"
    one ours "$rate"
  fi
done
kill "$lab_pid"
wait "$lab_pid" 2>/dev/null || true
lab_pid=""
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"

echo
echo "== per rate: offered = flood frames/s truth saw on the port (the lab's generator runs on the"
echo "   same cores, so a busy machine or a hungrier tool lowers it); frames/s, MB/s = written to the"
echo "   file over its window; cpu = the tool's process, µs/frame = its CPU per frame written =="
printf "%-7s %-8s %9s %9s %7s %9s %7s %7s %6s %8s %8s %8s\n" rate tool offered/s frames/s MB/s \
  "in truth" drops "drop %" "cpu s" "µs/frame" "lab cpu" "file MB"
first_ours="none" first_ssh="none" max_offered=0
while read -r tool rate cpu labcpu from to out; do
  line=$(python3 "$here/analyze.py" --truth "$truth" --from "$from" --to "$to" --port "$port" --file "$out")
  get() { sed -n "s/.*\b$1=\([^ ]*\).*/\1/p" <<<"$line"; }
  name=$([[ $tool == ours ]] && echo "capture" || echo "openssh")
  frames=$(get frames)
  max_offered=$(awk -v a="$max_offered" -v b="$(get offered_fps)" 'BEGIN { print (b + 0 > a + 0 ? b : a) }')
  printf "%-7s %-8s %9s %9s %7s %9s %7s %7s %6s %8s %8s %8s\n" "$rate" "$name" "$(get offered_fps)" "$(get fps)" \
    "$(get mbps)" "$(get truth)" "$(get drops)" "$(get drop_pct)" "$cpu" \
    "$(awk -v c="$cpu" -v f="$frames" 'BEGIN { printf "%.1f", (f > 0 ? c * 1e6 / f : 0) }')" "$labcpu" \
    "$(awk -v b="$(stat -c %s "$out")" 'BEGIN { printf "%.1f", b / 1e6 }')"
  if awk -v p="$(get drop_pct)" -v lim="$DROP_PCT" 'BEGIN { exit !(p + 0 > lim) }'; then
    if [[ $tool == ours && $first_ours == none ]]; then first_ours=$rate; fi
    if [[ $tool == ssh && $first_ssh == none ]]; then first_ssh=$rate; fi
  fi
done <"$DIR/runs"
echo "first rate dropping more than ${DROP_PCT}%: capture $first_ours, openssh $first_ssh (rates asked: $RATES;"
echo "the most the lab offered here: $max_offered frames/s)"
