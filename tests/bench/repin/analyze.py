#!/usr/bin/env python3
"""Re-pin latency of two captures of one flooding VM, measured against the lab's truth.

  analyze.py --truth DIR/truth.jsonl --vm testvm1 --since NS
             --ours ours.pcapng [--manifest ours.manifest.json]
             --baseline-dir DIR [--baseline-log FILE]

For every port the lab assigned to the VM after `since` (one per reset), the latency is
the truth time of the first flood frame on that port that the capture holds minus the
port's assignment time (truth.jsonl port-assign). Flood frames are matched by their
sequence number (in the packet and in truth), so a capture file needs no port or
direction: ours names the port in its pcapng interface ("esx01:33554442:out"), the
baseline's files are named N-PORT.pcap by run.sh's baseline loop, and both are checked
against the truth record of that seq on that port. Missed frames: flood frames truth
saw on the port that the capture does not hold on that port (and, for ours, also not
through an uplink bridge pin).
"""

import argparse
import glob
import os
import re
import statistics
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import labframes  # noqa: E402


def rfc3339_ns(s):
    # "2026-11-26T07:17:01.123456789Z"
    import calendar
    import time
    base = calendar.timegm(time.strptime(s[:19], "%Y-%m-%dT%H:%M:%S"))
    frac = 0
    if len(s) > 20 and s[19] == ".":
        digits = re.match(r"\d+", s[20:]).group(0)
        frac = int((digits + "000000000")[:9])
    return base * 1_000_000_000 + frac


def load_truth(path, vm, since, until):
    """Ports assigned to vm in (since, until]: {port: t_assign}; flood frames up to until:
    {port: {seq: t}}."""
    assigned = {}
    flood = {}
    other = {}  # port -> frames of other kinds on the port
    needle = ('"vm":"%s"' % vm).encode()
    for r in labframes.truth_records(path, needle):
        ev = r.get("ev")
        if r.get("t", 0) > until:
            continue
        if ev == "port-assign" and r["t"] > since:
            assigned[r["port"]] = r["t"]
        elif ev == "frame" and "port" in r:
            if r.get("kind") == "flood" and r.get("dir") == 0:
                flood.setdefault(r["port"], {})[r["seq"]] = r["t"]
            else:
                other[r["port"]] = other.get(r["port"], 0) + 1
    return assigned, flood, other


def captured_by_port(files_and_ports):
    """{port: set(flood seqs)}, {port: frames}, set(flood seqs seen on non-port interfaces)."""
    seqs, frames, elsewhere = {}, {}, set()
    for path, fixed_port in files_and_ports:
        for _, data, _, iface in labframes.read_pcap(path):
            port = fixed_port
            if port is None:
                parts = iface.split(":")
                port = int(parts[1]) if len(parts) >= 2 and parts[1].isdigit() else None
            s = labframes.flood_seq(data)
            if port is None:
                if s is not None:
                    elsewhere.add(s)
                continue
            frames[port] = frames.get(port, 0) + 1
            if s is not None:
                seqs.setdefault(port, set()).add(s)
    return seqs, frames, elsewhere


def measure(name, assigned, flood, seqs, elsewhere):
    lat, missed, missed_all, never, per_port = [], [], [], 0, {}
    for port, t0 in sorted(assigned.items(), key=lambda kv: kv[1]):
        truth_seqs = flood.get(port, {})
        got = seqs.get(port, set())
        on_port = [s for s in truth_seqs if s in got]
        ms = None
        if on_port:
            first = min(on_port, key=lambda s: truth_seqs[s])
            ms = (truth_seqs[first] - t0) / 1e6
            lat.append(ms)
        else:
            never += 1
        missed.append(sum(1 for s in truth_seqs if s not in got))
        missed_all.append(sum(1 for s in truth_seqs if s not in got and s not in elsewhere))
        per_port[port] = (ms, missed[-1])
    return {"name": name, "lat": sorted(lat), "missed": missed, "missed_all": missed_all,
            "never": never, "ports": len(assigned), "per_port": per_port,
            "truth_frames": sum(len(flood.get(p, {})) for p in assigned)}


def fmt_ms(v):
    return "-" if v is None else "%.0f" % v


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--truth", required=True)
    ap.add_argument("--vm", default="testvm1")
    ap.add_argument("--since", type=int, required=True, help="truth time (ns) before the first reset")
    ap.add_argument("--until", type=int, required=True, help="truth time (ns) the tools were stopped")
    ap.add_argument("--poll", default="5")
    ap.add_argument("--ours", required=True)
    ap.add_argument("--manifest")
    ap.add_argument("--baseline-dir", required=True)
    ap.add_argument("--baseline-log")
    ap.add_argument("--detail", action="store_true", help="also print one line per reset")
    a = ap.parse_args()

    assigned, flood, _ = load_truth(a.truth, a.vm, a.since, a.until)
    loop = f"ssh+esxcli loop ({a.poll} s)"
    if not assigned:
        print("no port assignment after the start in truth: nothing to measure", file=sys.stderr)
        return 1

    if not os.path.exists(a.ours):
        print(f"(no capture output {a.ours}: counted as nothing captured)")
    ours_seqs, _, ours_elsewhere = captured_by_port([(a.ours, None)] if os.path.exists(a.ours) else [])
    base_files = []
    for p in sorted(glob.glob(os.path.join(a.baseline_dir, "*.pcap"))):
        m = re.match(r"\d+-(\d+)\.pcap$", os.path.basename(p))
        if m:
            base_files.append((p, int(m.group(1))))
    base_seqs, _, _ = captured_by_port(base_files)

    rows = [measure("capture vm", assigned, flood, ours_seqs, ours_elsewhere),
            measure(loop, assigned, flood, base_seqs, set())]

    # Port assignment -> the tool started capturing on it (ours: manifest pin-opened;
    # the baseline: its log line written when it launched pktcap-uw for the port).
    opened = {}
    if a.manifest and os.path.exists(a.manifest):
        import json
        with open(a.manifest) as f:
            man = json.load(f)
        lat = []
        for e in man.get("events", []):
            if e.get("kind") != "pin-opened":
                continue
            m = re.search(r" port (\d+) ", e.get("detail", ""))
            if m and int(m.group(1)) in assigned:
                lat.append((rfc3339_ns(e["at"]) - assigned[int(m.group(1))]) / 1e6)
        opened["capture vm"] = sorted(lat)
    if a.baseline_log and os.path.exists(a.baseline_log):
        lat = []
        with open(a.baseline_log) as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 3 and parts[1] == "start" and int(parts[2]) in assigned:
                    lat.append((int(parts[0]) - assigned[int(parts[2])]) / 1e6)
        opened[loop] = sorted(lat)

    n = len(assigned)
    print(f"{n} new ports of {a.vm} (one per reset); flood frames on them in truth: "
          f"{rows[0]['truth_frames']}")
    print()
    print("port assigned -> first flood frame captured on the new port (ms)")
    hdr = "%-24s %8s %8s %8s %8s %8s  %s"
    print(hdr % ("tool", "median", "p90", "p99", "worst", "never", "missed flood frames/reset: median, worst, total"))
    for r in rows:
        lat = r["lat"]
        med = statistics.median(lat) if lat else None
        mm = sorted(r["missed"])
        print(hdr % (r["name"], fmt_ms(med), fmt_ms(labframes.percentile(lat, 90)),
                     fmt_ms(labframes.percentile(lat, 99)), fmt_ms(lat[-1] if lat else None),
                     r["never"], "%d, %d, %d" % (statistics.median(mm), mm[-1], sum(mm))))
    ma = sorted(rows[0]["missed_all"])
    if sum(ma) != sum(rows[0]["missed"]):
        print(f"  capture vm: counting frames its uplink bridge pins caught, missed/reset median "
              f"{statistics.median(ma):.0f}, worst {ma[-1]}, total {sum(ma)}")
    if a.detail:
        print()
        print("per reset: port, assigned at (ns), then per tool: first frame on it (ms), flood frames missed")
        for port, t0 in sorted(assigned.items(), key=lambda kv: kv[1]):
            cells = []
            for r in rows:
                ms, miss = r["per_port"][port]
                cells.append("%8s %6d" % (fmt_ms(ms), miss))
            print("%10d %d  %s" % (port, t0, "   ".join(cells)))
    if opened:
        print()
        print("port assigned -> capture started on the new port (ms): capture vm from its manifest "
              "(pin-opened), the loop from its log (pktcap-uw launched)")
        hdr2 = "%-24s %8s %8s %8s %8s %8s"
        print(hdr2 % ("tool", "median", "p90", "p99", "worst", "count"))
        for name, lat in opened.items():
            print(hdr2 % (name, fmt_ms(statistics.median(lat) if lat else None),
                          fmt_ms(labframes.percentile(lat, 90)), fmt_ms(labframes.percentile(lat, 99)),
                          fmt_ms(lat[-1] if lat else None), len(lat)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
