#!/usr/bin/env bash
# The re-pin an admin scripts today, for comparison with `capture vm`: every POLL seconds
# ask the ESXi host over OpenSSH for the VM's world ID (`esxcli network vm list`) and its
# switch port (`esxcli network vm port list -w ID`); when the port changed, stop the
# running `pktcap-uw --switchport P --dir 2 -o -` and start one on the new port, its pcap
# going to OUT_DIR/N-PORT.pcap.
#
#   baseline_loop.sh SSH_CONFIG IDENTITY HOST VM OUT_DIR [POLL]
#
# Writes "NS start PORT FILE" lines to OUT_DIR/loop.log (NS: date +%s%N when pktcap-uw was
# launched). Runs until SIGTERM/SIGINT, then stops its capture.
set -uo pipefail
cfg=$1 key=$2 host=$3 vm=$4 out=$5 poll=${6:-5}
ssh_cmd=(ssh -F "$cfg" -i "$key" -o IdentitiesOnly=yes -o BatchMode=yes)
mkdir -p "$out"
cur="" pid="" n=0
stop() {
  [[ -n $pid ]] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  exit 0
}
trap stop TERM INT
while :; do
  wid=$("${ssh_cmd[@]}" "$host" 'esxcli network vm list' | awk -v vm="$vm" '$2 == vm { print $1; exit }')
  port=""
  if [[ -n $wid ]]; then
    port=$("${ssh_cmd[@]}" "$host" "esxcli network vm port list -w $wid" |
      awk '/^ *Port ID:/ { print $3; exit }')
  fi
  if [[ -n $port && $port != "$cur" ]]; then
    if [[ -n $pid ]]; then
      kill "$pid" 2>/dev/null
      wait "$pid" 2>/dev/null
    fi
    n=$((n + 1))
    file="$out/$n-$port.pcap"
    echo "$(date +%s%N) start $port $file" >>"$out/loop.log"
    "${ssh_cmd[@]}" -n "$host" "pktcap-uw --switchport $port --dir 2 -o -" >"$file" 2>/dev/null &
    pid=$!
    cur=$port
  fi
  sleep "$poll" &
  wait $!
done
