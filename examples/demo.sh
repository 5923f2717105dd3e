#!/usr/bin/env bash
# The demo: installs what is missing, builds, starts the embedded lab (a simulated
# vCenter with ESXi hosts over SSH) and runs `capture vm testvm1` while the lab resets
# testvm1 twice, power-cycles it once and migrates it once. Then it shows what was
# captured: the DHCP exchange of every boot, the pins and re-pins, and where the pcapng is.
#
#   examples/demo.sh [OUTPUT_DIR]      (default: ./demo-output)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
out_dir=$(mkdir -p "${1:-demo-output}" && cd "${1:-demo-output}" && pwd)

tests/deps.sh
echo "== building (first time: a few minutes)"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" --target capture >/dev/null

state=$(mktemp -d /tmp/vm-capture-demo.XXXXXX)
lab_pid=""
cap_pid=""
cleanup() {
  [ -n "$cap_pid" ] && kill -INT "$cap_pid" 2>/dev/null && wait "$cap_pid" 2>/dev/null || true
  [ -n "$lab_pid" ] && kill -TERM "$lab_pid" 2>/dev/null && wait "$lab_pid" 2>/dev/null || true
}
trap cleanup EXIT

echo "== starting the lab in $state"
tests/lab/run --state-dir "$state" --boot-dhcp-delay 1s >"$state/lab.out" 2>&1 &
lab_pid=$!
for _ in $(seq 1 600); do [ -f "$state/lab.json" ] && break; sleep 0.2; done
[ -f "$state/lab.json" ] || { echo "the lab did not start; see $state/lab.out" >&2; exit 1; }
# shellcheck disable=SC1091
source "$state/env"   # GOVC_URL, GOVC_USERNAME, GOVC_PASSWORD, GOVC_TLS_CA_CERTS, VMC_SSH_*
control=$VMC_LAB_CONTROL
lab() { curl -fsS -X POST "$control$1" >/dev/null; }

pcap="$out_dir/testvm1.pcapng"
rm -f "$pcap" "${pcap%.pcapng}.manifest.json"
echo "== capture vm testvm1 -w $pcap"
build/capture --state-dir "$state/vm-capture" vm testvm1 -w "$pcap" 2>"$out_dir/capture.log" &
cap_pid=$!
for _ in $(seq 1 150); do grep -q "capturing to" "$out_dir/capture.log" 2>/dev/null && break; sleep 0.2; done
sleep 2

echo "== the lab resets testvm1 (twice), power-cycles it, migrates it to esx02"
lab /vm/testvm1/reset;            echo "   reset";       sleep 3
lab /vm/testvm1/reset;            echo "   reset";       sleep 3
lab /vm/testvm1/poweroff;         echo "   power off";   sleep 1
lab /vm/testvm1/poweron;          echo "   power on";    sleep 3
lab "/vm/testvm1/migrate?to=esx02"; echo "   migrate to esx02"; sleep 3

echo "== stopping the capture (as Ctrl-C would)"
kill -INT "$cap_pid"
wait "$cap_pid" || { echo "capture failed; its log:" >&2; cat "$out_dir/capture.log" >&2; exit 1; }
cap_pid=""
tail -n 4 "$out_dir/capture.log"

echo
mac=$(python3 -c 'import json,sys; print([v for v in json.load(open(sys.argv[1]))["vms"] if v["name"]=="testvm1"][0]["macs"][0])' "$state/lab.json")
echo "== testvm1's DHCP exchanges (one per boot; out = sent by the VM, in = to the VM)"
tshark -r "$pcap" -Y "dhcp && dhcp.hw.mac_addr == $mac" -T fields -e frame.time -e frame.interface_name -e dhcp.id \
  -e dhcp.option.dhcp 2>/dev/null |
  awk -F'\t' 'BEGIN{split("Discover Offer Request Decline ACK",n," ")}
              {printf "   %s  %-22s xid %s  %s\n", substr($1,13,15), $2, $3, n[$4]}'
echo
echo "== pins (one pcapng interface per host, port and direction)"
tshark -r "$pcap" -T fields -e frame.interface_name 2>/dev/null | sort | uniq -c |
  awk '{printf "   %-24s %5d frames\n", $2, $1}'
echo
echo "== re-pins"
python3 - "${pcap%.pcapng}.manifest.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
for e in m["events"]:
    if e["kind"] == "pin-opened":
        print("   " + e["at"][11:23] + "  " + e["detail"])
PY
echo
echo "output:   $pcap"
echo "manifest: ${pcap%.pcapng}.manifest.json"
echo "open it:  wireshark $pcap"
