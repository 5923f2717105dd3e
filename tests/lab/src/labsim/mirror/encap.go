// Package mirror is the data plane of VDS port mirroring in the lab: every frame that
// crosses a distributed port mirrored by an encapsulated remote mirror (L3) session
// is sent, encapsulated, as a real IPv4/GRE packet from its host's vmkernel address
// to the session's destination addresses (loopback only), and recorded in
// truth.jsonl. Formats: GRE (RFC 1701/2784/2890) with protocol 0x6558 (transparent
// Ethernet bridging), ERSPAN type II (0x88BE) and type III (0x22EB) as
// draft-foschiano-erspan-03 and Linux's include/net/erspan.h describe them. What
// ESXi puts in the fields the draft leaves to the implementation is unknown; the
// lab's choices are in tests/lab/README.md ("Documented behaviour").
package mirror

import (
	"encoding/binary"
	"time"
)

// GRE protocol types.
const (
	ProtoTEB     = 0x6558 // transparent Ethernet bridging (encapType gre)
	ProtoERSPAN2 = 0x88BE // ERSPAN type II (and type I)
	ProtoERSPAN3 = 0x22EB // ERSPAN type III
)

// GRE flag bits (first 16 bits of the header).
const (
	greChecksum = 0x8000
	greKey      = 0x2000
	greSeq      = 0x1000
)

// Header is everything an encapsulated copy carries besides the frame.
type Header struct {
	Encap     string // gre, erspan2, erspan3
	GREHeader string // for gre: "seq" (default), "plain", "key-seq"
	Seq       uint32 // GRE sequence number
	Key       uint32 // GRE key (gre with key-seq)
	SessionID int    // ERSPAN session ID (erspanId, 10 bits)
	COS       int    // ERSPAN class of service (3 bits)
	Truncated bool   // ERSPAN T bit: the frame was cut to mirroredPacketLength
	OrigLen   int    // the frame's length before truncation (ERSPAN III BSO)
	Index     uint32 // ERSPAN II index (20 bits)
	// ERSPAN III
	Timestamp  uint32 // in units of Gra
	Gra        int    // 2 bits: 0 = 100 µs, 1 = 100 ns (draft), 2 = IEEE 1588, 3 = user
	Egress     bool   // D bit: 1 = egress (the frame went out of the switch port, to the VM)
	HwID       int    // 6 bits
	Subheader  bool   // O bit and an 8-byte platform specific subheader
	PlatformID int    // 6 bits of the subheader
	PlatInfo   uint64 // 58 bits of the subheader
}

// Encapsulate returns the GRE packet (the IPv4 payload) carrying frame.
func Encapsulate(h Header, frame []byte) []byte {
	var out []byte
	put16 := func(v uint16) { out = binary.BigEndian.AppendUint16(out, v) }
	put32 := func(v uint32) { out = binary.BigEndian.AppendUint32(out, v) }
	switch h.Encap {
	case "erspan2", "erspan3":
		// "out of the C, R, K, S, s, Recur, Flags, Version fields only S (bit 03) is set
		// to 1" (include/net/erspan.h; draft-foschiano-erspan-03 section 4.1).
		proto := uint16(ProtoERSPAN2)
		if h.Encap == "erspan3" {
			proto = ProtoERSPAN3
		}
		put16(greSeq)
		put16(proto)
		put32(h.Seq)
		ver := uint16(1)
		if h.Encap == "erspan3" {
			ver = 2
		}
		put16(ver << 12) // Ver, VLAN 0 (the lab's frames carry no tag)
		t := uint16(0)
		if h.Truncated {
			t = 1
		}
		// COS(3) En/BSO(2) T(1) SessionID(10)
		en := uint16(0) // type II En 00: originally without VLAN tag
		if h.Encap == "erspan3" {
			en = bso(h.OrigLen)
		}
		put16(uint16(h.COS&7)<<13 | en<<11 | t<<10 | uint16(h.SessionID&0x3ff))
		if h.Encap == "erspan2" {
			put32(h.Index & 0xfffff) // Reserved(12) Index(20)
			break
		}
		put32(h.Timestamp)
		// SGT(16) P(1) FT(5) HwID(6) D(1) Gra(2) O(1)
		w := uint16(1) << 15 // P: the payload is an Ethernet frame; FT 0 = Ethernet
		w |= uint16(h.HwID&0x3f) << 4
		if h.Egress {
			w |= 1 << 3
		}
		w |= uint16(h.Gra&3) << 1
		if h.Subheader {
			w |= 1
		}
		put16(0) // SGT
		put16(w)
		if h.Subheader {
			v := uint64(h.PlatformID&0x3f)<<58 | h.PlatInfo&(1<<58-1)
			out = binary.BigEndian.AppendUint64(out, v)
		}
	default: // gre
		flags := uint16(0)
		switch h.GREHeader {
		case "plain":
		case "key-seq":
			flags = greKey | greSeq
		default:
			flags = greSeq
		}
		put16(flags)
		put16(ProtoTEB)
		if flags&greKey != 0 {
			put32(h.Key)
		}
		if flags&greSeq != 0 {
			put32(h.Seq)
		}
	}
	return append(out, frame...)
}

// bso is ERSPAN III's Bad/Short/Oversized field: 01 a frame shorter than 60 bytes,
// 10 one longer than 1514, else 00 (include/net/erspan.h, erspan_detect_bso).
func bso(n int) uint16 {
	switch {
	case n < 60:
		return 1
	case n > 1514:
		return 2
	}
	return 0
}

// Erspan3Timestamp is the 32-bit timestamp of time t in the granularity gra (the
// counter wraps): ticks 0 = 100 µs, 1 = 100 ns, as draft-foschiano-erspan-03 says;
// with ticks "vmware-doc", 0 counts microseconds and 1 nanoseconds (the API
// reference's words for erspanGraNanosec false and true).
func Erspan3Timestamp(t time.Time, gra int, ticks string) uint32 {
	ns := t.UnixNano()
	unit := int64(100 * time.Microsecond)
	if gra == 1 {
		unit = 100
	}
	if ticks == "vmware-doc" {
		unit = int64(time.Microsecond)
		if gra == 1 {
			unit = 1
		}
	}
	return uint32(ns / unit)
}
