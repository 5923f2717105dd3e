#!/usr/bin/env bash
# Benchmark: watching 1,000 and 5,000 VMs — the product's vsphere library (one Watcher, as
# `capture` uses it) against a govmomi peer (peer/main.go: one PropertyCollector filter
# read with WaitForUpdatesEx, what `govc object.collect -n` does; govc itself is not
# packaged in Debian 12).
#
#   tests/bench/watch/run.sh [BUILD_DIR]
#
# For each inventory (INVENTORIES, default tests/lab/inventory/scale-1000.json and
# scale-5000.json) starts the lab (--traffic-interval 0: no periodic guest traffic, so the
# lab's CPU goes to vCenter), then RUNS times, alternating which goes first: ours
# (BUILD_DIR/tests/bench/watch/vmc_bench_watch) and the peer, each under /usr/bin/time -v.
# Peak RSS is each program's own (VmHWM / getrusage RUSAGE_SELF: not curl's). Each logs in,
# watches every VM, and once synced resets one VM in the middle of the
# inventory through the lab's control endpoint and times until that VM's change is
# reported. Prints medians: login, initial sync, change reported, wall, CPU, peak RSS.
#
# Environment: BENCH_DIR (/dev/shm/vmc-bench-watch), RUNS (3), INVENTORIES, LAB_ARGS,
# KEEP=1 keeps BENCH_DIR. Needs: the lab (Go), curl, /usr/bin/time.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
BUILD=$(cd "${1:-$root/build}" && pwd)
DIR=${BENCH_DIR:-/dev/shm/vmc-bench-watch}
RUNS=${RUNS:-3}
INVENTORIES=${INVENTORIES:-"$root/tests/lab/inventory/scale-1000.json $root/tests/lab/inventory/scale-5000.json"}
OURS=$BUILD/tests/bench/watch/vmc_bench_watch
for tool in "$OURS" curl /usr/bin/time go; do
  command -v "$tool" >/dev/null || { echo "missing $tool (build target vmc_bench_watch first)" >&2; exit 2; }
done

rm -rf "$DIR"
mkdir -p "$DIR"
lab_pid=""
cleanup() {
  [[ -n $lab_pid ]] && kill "$lab_pid" 2>/dev/null && wait "$lab_pid" 2>/dev/null
  [[ ${KEEP:-0} == 1 ]] || rm -rf "$DIR"
}
trap cleanup EXIT

# The peer, built with Debian's Go and govmomi in GOPATH mode (as the lab is).
(
  # shellcheck disable=SC1091
  source "$root/tests/lab/env.sh"
  cd "$here/peer" && go build -o "$DIR/watch-peer" main.go
)
PEER=$DIR/watch-peer

echo "== watch scale: ours = vmc_vsphere Watcher (vmc_bench_watch built $(date -r "$OURS" "+%F %T"), tree at $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?')), peer = govmomi $(dpkg-query -W -f='${Version}' golang-github-vmware-govmomi-dev 2>/dev/null || echo '?') property.WaitForUpdates =="
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at start (other jobs share it); $RUNS runs each, medians"

# run NAME OUTFILE CMD...: appends the program's key=value line plus wall/cpu/maxrss.
run() {
  local name=$1 out=$2
  shift 2
  local line
  if ! line=$(/usr/bin/time -v -o "$DIR/$name.time" "$@" 2>"$DIR/$name.err"); then
    echo "$name failed: $(cat "$DIR/$name.err")" >&2
    return 0
  fi
  awk -F': ' -v line="$line" '
    /Elapsed \(wall clock\)/ { n = split($2, t, ":"); w = 0; for (i = 1; i <= n; i++) w = w * 60 + t[i] }
    /User time/ { u = $2 } /System time/ { s = $2 } /Maximum resident/ { r = $2 }
    END { printf "%s wall_s=%.2f cpu_s=%.2f time_maxrss_kb=%d\n", line, w, u + s, r }' \
    "$DIR/$name.time" >>"$out"
}

# med FILE KEY: median of KEY=value over the lines of FILE ("-" when absent).
med() {
  grep -o "\b$2=[^ ]*" "$1" 2>/dev/null | cut -d= -f2 | sort -n |
    awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print "-" }'
}

rows=()
for inv in $INVENTORIES; do
  name=$(basename "$inv" .json)
  labdir=$DIR/lab-$name
  mkdir -p "$labdir"
  t0=$(date +%s%N)
  # shellcheck disable=SC2086
  "$root/tests/lab/run" --state-dir "$labdir" --inventory "$inv" --traffic-interval 0 ${LAB_ARGS:-} \
    >"$DIR/lab-$name.out" 2>&1 &
  lab_pid=$!
  for _ in $(seq 1200); do [[ -e $labdir/lab.json ]] && break; sleep 0.1; done
  [[ -e $labdir/lab.json ]] || { echo "lab did not start:" >&2; cat "$DIR/lab-$name.out" >&2; exit 1; }
  nvms=$(grep -o '"moref": *"vm-' "$labdir/lab.json" | wc -l)
  echo "lab $name: $nvms VMs, ready in $(( ($(date +%s%N) - t0) / 1000000 )) ms"
  change=scale-$(printf '%05d' $((nvms / 2)))
  for ((i = 1; i <= RUNS; i++)); do
    if ((i % 2)); then
      run ours "$DIR/ours-$name.txt" "$OURS" "$labdir/lab.json" "$change"
      run peer "$DIR/peer-$name.txt" "$PEER" "$labdir/lab.json" "$change"
    else
      run peer "$DIR/peer-$name.txt" "$PEER" "$labdir/lab.json" "$change"
      run ours "$DIR/ours-$name.txt" "$OURS" "$labdir/lab.json" "$change"
    fi
    echo "  run $i: ours: $(tail -1 "$DIR/ours-$name.txt" 2>/dev/null)"
    echo "         peer: $(tail -1 "$DIR/peer-$name.txt" 2>/dev/null)"
  done
  kill "$lab_pid"
  wait "$lab_pid" 2>/dev/null || true
  lab_pid=""
  for who in ours peer; do
    f=$DIR/$who-$name.txt
    label="vmc_vsphere Watcher"
    [[ $who == peer ]] && label="govmomi WaitForUpdates"
    rows+=("$(printf "%-6s %-24s %6s %9s %8s %10s %8s %8s %12s" "$nvms" "$label" \
      "$(grep -c . "$f" 2>/dev/null || echo 0)" "$(med "$f" login_ms)" "$(med "$f" sync_ms)" \
      "$(med "$f" change_ms)" "$(med "$f" cpu_s)" \
      "$(awk -v k="$(med "$f" peak_rss_kb)" 'BEGIN { printf "%.1f", k / 1024 }')" "$(med "$f" first_ms)")")
  done
done

echo
echo "== medians (ms unless said; sync = watch started -> full initial state; change = reset posted -> reported) =="
printf "%-6s %-24s %6s %9s %8s %10s %8s %8s %12s\n" VMs tool runs login sync change "cpu s" "RSS MB" "first upd."
for r in "${rows[@]}"; do echo "$r"; done
echo "(cpu s: the whole process, login to exit; ours' first upd.: watch() -> its first update, before"
echo " it adds the hosts' port lists. Per-run lines above also give wall_s, which for ours includes"
echo " a 1 s idle drain after the sync.)"
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
