"""Readers shared by the lab benchmarks (tests/bench/repin, tests/bench/ingest).

Reads classic pcap and pcapng files (standard library only) and recognises the lab's
flood frames: UDP 50000 -> 9 whose payload starts with "LABSEQ" and the 8-byte
big-endian sequence number the lab also writes to truth.jsonl (see
tests/lab/src/labsim/traffic). The lab's truth.jsonl is read line by line, with a cheap
substring test before json parsing so a file of millions of frames stays quick.
"""

import json
import struct

FLOOD_SPORT = 50000
FLOOD_DPORT = 9


def flood_seq(data):
    """The flood sequence number of an Ethernet frame, or None if it is not a flood frame."""
    if len(data) < 14 + 20 + 8 + 14 or data[12:14] != b"\x08\x00":
        return None
    ihl = (data[14] & 0x0F) * 4
    if data[14 + 9] != 17:
        return None
    u = 14 + ihl
    sport, dport = struct.unpack_from(">HH", data, u)
    if sport != FLOOD_SPORT or dport != FLOOD_DPORT:
        return None
    p = u + 8
    if data[p:p + 6] != b"LABSEQ":
        return None
    return struct.unpack_from(">Q", data, p + 6)[0]


def read_pcap(path):
    """Yields (ts_ns, data, orig_len, interface_name) for each frame of a pcap or pcapng file.

    interface_name is the pcapng if_name option ("" for classic pcap). A truncated last
    record (a capture killed mid-write) ends the iteration quietly.
    """
    with open(path, "rb") as f:
        buf = f.read()
    if len(buf) < 24:
        return
    magic = struct.unpack_from("<I", buf, 0)[0]
    if magic == 0x0A0D0D0A:
        yield from _read_pcapng(buf)
        return
    if magic in (0xA1B2C3D4, 0xA1B23C4D):
        end = "<"
    elif struct.unpack_from(">I", buf, 0)[0] in (0xA1B2C3D4, 0xA1B23C4D):
        end = ">"
        magic = struct.unpack_from(">I", buf, 0)[0]
    else:
        raise ValueError(f"{path}: not a pcap or pcapng file")
    frac = 1000 if magic == 0xA1B2C3D4 else 1
    off = 24
    hdr = end + "IIII"
    while off + 16 <= len(buf):
        sec, sub, incl, orig = struct.unpack_from(hdr, buf, off)
        off += 16
        if off + incl > len(buf):
            return
        yield sec * 1_000_000_000 + sub * frac, buf[off:off + incl], orig, ""
        off += incl


def _read_pcapng(buf):
    off = 0
    end = "<"
    ifaces = []  # (name, ts multiplier to ns)
    while off + 12 <= len(buf):
        btype = struct.unpack_from(end + "I", buf, off)[0]
        if btype == 0x0A0D0D0A:
            bom = buf[off + 8:off + 12]
            end = "<" if bom == b"\x4d\x3c\x2b\x1a" else ">"
            ifaces = []
        blen = struct.unpack_from(end + "I", buf, off + 4)[0]
        if blen < 12 or off + blen > len(buf):
            return
        body = buf[off + 8:off + blen - 4]
        if btype == 1:  # IDB
            name, tsres = "", 6
            o = 8
            while o + 4 <= len(body):
                code, ln = struct.unpack_from(end + "HH", body, o)
                if code == 0:
                    break
                val = body[o + 4:o + 4 + ln]
                if code == 2:
                    name = val.decode("utf-8", "replace")
                elif code == 9 and ln >= 1:
                    tsres = val[0]
                o += 4 + ((ln + 3) & ~3)
            if tsres & 0x80:
                mult = None
                per_sec = 2 ** (tsres & 0x7F)
            else:
                per_sec = 10 ** tsres
                mult = 1_000_000_000 // per_sec if per_sec <= 1_000_000_000 else None
            ifaces.append((name, mult, per_sec))
        elif btype == 6:  # EPB
            iid, hi, lo, incl, orig = struct.unpack_from(end + "IIIII", body, 0)
            name, mult, per_sec = ifaces[iid]
            ts = (hi << 32) | lo
            ns = ts * mult if mult else ts * 1_000_000_000 // per_sec
            yield ns, body[20:20 + incl], orig, name
        elif btype == 3:  # SPB
            orig = struct.unpack_from(end + "I", body, 0)[0]
            name, _, _ = ifaces[0]
            yield 0, body[4:4 + orig], orig, name
        off += blen


def truth_records(path, must_contain=None):
    """Yields each truth.jsonl record (a dict); lines without `must_contain` are skipped unparsed."""
    with open(path, "rb") as f:
        for line in f:
            if must_contain is not None and must_contain not in line:
                continue
            try:
                yield json.loads(line)
            except ValueError:
                continue  # a partial last line of a lab still writing


def percentile(sorted_vals, p):
    """Nearest-rank percentile of an already sorted list (None when empty)."""
    if not sorted_vals:
        return None
    k = max(0, min(len(sorted_vals) - 1, -(-p * len(sorted_vals) // 100) - 1))
    return sorted_vals[int(k)]
