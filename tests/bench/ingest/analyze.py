#!/usr/bin/env python3
"""One ingest run of a capture file against the lab's truth: prints one key=value line.

  analyze.py --truth truth.jsonl --from BYTE --to BYTE --port P --file capture.pcap[ng]

The window is the flood frames the file holds, from its lowest sequence number to its
highest; truth's flood frames on port P (from the VM, dir 0) with a sequence number in
that window are what a lossless capture holds. drops = truth frames in the window - flood
frames in the file (unique sequence numbers). Rates are over the window's truth times.
Only truth.jsonl bytes [from, to) are read (the run's part of the file).
"""

import argparse
import json
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "repin"))
import labframes  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--truth", required=True)
    ap.add_argument("--from", dest="start", type=int, default=0)
    ap.add_argument("--to", dest="end", type=int, default=-1)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--file", required=True)
    a = ap.parse_args()

    seqs = set()
    frames = 0
    data_bytes = 0
    for _, data, _, _ in labframes.read_pcap(a.file):
        frames += 1
        data_bytes += len(data)
        s = labframes.flood_seq(data)
        if s is not None:
            seqs.add(s)
    if not seqs:
        print(f"frames={frames} flood=0 truth=0 drops=- fps=0 mbps=0 offered_fps=0 window_s=0")
        return 0
    lo, hi = min(seqs), max(seqs)

    needle = ('"port":%d,"dir":0,"kind":"flood"' % a.port).encode()
    truth_t = {}
    with open(a.truth, "rb") as f:
        f.seek(a.start)
        left = a.end - a.start if a.end >= 0 else -1
        for line in f:
            if left >= 0:
                left -= len(line)
                if left < 0:
                    break
            if needle not in line:
                continue
            try:
                r = json.loads(line)
            except ValueError:
                continue
            if lo <= r["seq"] <= hi:
                truth_t[r["seq"]] = r["t"]
    truth_n = len(truth_t)
    got = sum(1 for s in seqs if s in truth_t)
    if truth_n:
        window = (max(truth_t.values()) - min(truth_t.values())) / 1e9
    else:
        window = 0
    w = window if window > 0 else float("nan")
    # Missing frames in runs: how many holes, the longest, and when the first one was.
    holes, longest, run = 0, 0, 0
    for q in sorted(truth_t):
        if q in seqs:
            run = 0
            continue
        if run == 0:
            holes += 1
        run += 1
        longest = max(longest, run)
    print("frames=%d flood=%d truth=%d drops=%d drop_pct=%.2f fps=%.0f mbps=%.2f offered_fps=%.0f "
          "window_s=%.2f holes=%d longest_hole=%d" % (frames, got, truth_n, truth_n - got,
                             100.0 * (truth_n - got) / truth_n if truth_n else 0,
                             frames / w, data_bytes / w / 1e6, truth_n / w, window, holes, longest))
    return 0


if __name__ == "__main__":
    sys.exit(main())
