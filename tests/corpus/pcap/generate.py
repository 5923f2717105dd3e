#!/usr/bin/env python3
"""Writes the pcap part of the bad-input corpus (run from this directory; the output is
committed, this script documents how each file was made).

Every good frame is 64 bytes whose first 4 bytes are its index (big-endian), with
timestamps 1 s apart from 2026-11-26T00:00:00Z, so a test can check that the frames
delivered before an error are exactly the first N frames, in order."""
import struct

T0 = 1764115200


def header(magic=0xa1b2c3d4, major=2, minor=4, snaplen=65535, linktype=1, endian='<'):
    return struct.pack(endian + 'IHHiIII', magic, major, minor, 0, 0, snaplen, linktype)


def frame(i, caplen=None, orig=None, usec=0, endian='<', data=None):
    data = data if data is not None else struct.pack('>I', i) + bytes((i + k) & 0xff for k in range(60))
    caplen = len(data) if caplen is None else caplen
    orig = len(data) if orig is None else orig
    return struct.pack(endian + 'IIII', T0 + i, usec, caplen, orig) + data


def good(n, endian='<'):
    return b''.join(frame(i, endian=endian) for i in range(n))


cases = {}
cases['bad-magic'] = b'this is not a pcap file, it is text\n' * 2
cases['truncated-global-header'] = header()[:10]
cases['zero-length'] = b''
cases['unsupported-version'] = header(major=3, minor=0) + good(2)
cases['huge-caplen'] = header() + good(2) + frame(2, caplen=0x7fffffff)
cases['caplen-over-snaplen'] = header(snaplen=40) + good(3)
cases['truncated-record-header'] = header() + good(3) + frame(3)[:9]
cases['truncated-record-data'] = header() + good(3) + frame(3)[:16 + 20]
cases['usec-out-of-range'] = header() + good(2) + frame(2, usec=1_000_000) + frame(3)
cases['garbage-after-frames'] = header() + good(3) + bytes([0xff] * 40)
cases['big-endian-huge-caplen'] = header(endian='>') + good(2, endian='>') + frame(2, caplen=300000, endian='>')
# A pcapng file: section header, one Ethernet interface, one enhanced packet block.
shb = struct.pack('<IIIHHq', 0x0a0d0d0a, 28, 0x1a2b3c4d, 1, 0, -1) + struct.pack('<I', 28)
idb = struct.pack('<IIHHI', 1, 20, 1, 0, 0) + struct.pack('<I', 20)
pkt = struct.pack('>I', 0) + bytes(k & 0xff for k in range(60))
epb_body = struct.pack('<IIIII', 0, 0, 0, len(pkt), len(pkt)) + pkt
epb_len = 8 + len(epb_body) + 4
epb = struct.pack('<II', 6, epb_len) + epb_body + struct.pack('<I', epb_len)
cases['pcapng-given'] = shb + idb + epb

for name, data in cases.items():
    with open(name + '.pcap', 'wb') as f:
        f.write(data)
