package pktcap

// Output formats: classic pcap (little-endian, microseconds, linktype 1), pcapng (-P)
// and the text dump pktcap-uw prints without -o.

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
)

// frameSink writes captured frames in one output format.
type frameSink interface {
	header() []byte
	record(ts time.Time, data []byte, origLen int) []byte
}

type pcapSink struct{ snaplen int }

func (s pcapSink) header() []byte {
	b := make([]byte, 24)
	binary.LittleEndian.PutUint32(b[0:], 0xa1b2c3d4)
	binary.LittleEndian.PutUint16(b[4:], 2)
	binary.LittleEndian.PutUint16(b[6:], 4)
	binary.LittleEndian.PutUint32(b[16:], uint32(s.snaplen))
	binary.LittleEndian.PutUint32(b[20:], 1)
	return b
}

func (s pcapSink) record(ts time.Time, data []byte, origLen int) []byte {
	b := make([]byte, 16+len(data))
	us := ts.UnixNano() / 1000
	binary.LittleEndian.PutUint32(b[0:], uint32(us/1e6))
	binary.LittleEndian.PutUint32(b[4:], uint32(us%1e6))
	binary.LittleEndian.PutUint32(b[8:], uint32(len(data)))
	binary.LittleEndian.PutUint32(b[12:], uint32(origLen))
	copy(b[16:], data)
	return b
}

type pcapngSink struct{ snaplen int }

func (s pcapngSink) header() []byte {
	shb := make([]byte, 28)
	binary.LittleEndian.PutUint32(shb[0:], 0x0A0D0D0A)
	binary.LittleEndian.PutUint32(shb[4:], 28)
	binary.LittleEndian.PutUint32(shb[8:], 0x1A2B3C4D)
	binary.LittleEndian.PutUint16(shb[12:], 1)
	binary.LittleEndian.PutUint64(shb[16:], 0xffffffffffffffff)
	binary.LittleEndian.PutUint32(shb[24:], 28)
	idb := make([]byte, 20)
	binary.LittleEndian.PutUint32(idb[0:], 1)
	binary.LittleEndian.PutUint32(idb[4:], 20)
	binary.LittleEndian.PutUint16(idb[8:], 1)
	binary.LittleEndian.PutUint32(idb[12:], uint32(s.snaplen))
	binary.LittleEndian.PutUint32(idb[16:], 20)
	return append(shb, idb...)
}

func (s pcapngSink) record(ts time.Time, data []byte, origLen int) []byte {
	padded := (len(data) + 3) &^ 3
	total := 32 + padded
	b := make([]byte, total)
	us := uint64(ts.UnixNano() / 1000)
	binary.LittleEndian.PutUint32(b[0:], 6)
	binary.LittleEndian.PutUint32(b[4:], uint32(total))
	binary.LittleEndian.PutUint32(b[12:], uint32(us>>32))
	binary.LittleEndian.PutUint32(b[16:], uint32(us))
	binary.LittleEndian.PutUint32(b[20:], uint32(len(data)))
	binary.LittleEndian.PutUint32(b[24:], uint32(origLen))
	copy(b[28:], data)
	binary.LittleEndian.PutUint32(b[total-4:], uint32(total))
	return b
}

// textSink: what pktcap-uw prints without -o.
type textSink struct {
	n     *int
	point string
}

func (s textSink) header() []byte { return nil }

func (s textSink) record(ts time.Time, data []byte, origLen int) []byte {
	*s.n++
	var b strings.Builder
	fmt.Fprintf(&b, "%s[%d] Captured at %s point, TSO not enabled, Checksum not offloaded and not verified, length %d.\n",
		ts.Format("15:04:05.000000"), *s.n, s.point, origLen)
	fmt.Fprintf(&b, "\tSegment[0] ---- %d bytes:\n", len(data))
	for off := 0; off < len(data); off += 16 {
		end := off + 16
		if end > len(data) {
			end = len(data)
		}
		h := hex.EncodeToString(data[off:end])
		var groups []string
		for i := 0; i < len(h); i += 4 {
			j := i + 4
			if j > len(h) {
				j = len(h)
			}
			groups = append(groups, h[i:j])
		}
		fmt.Fprintf(&b, "\t0x%04x:  %s\n", off, strings.Join(groups, " "))
	}
	return []byte(b.String())
}

// pointDirs maps capture points to the directions they see on a port or an uplink.
func pointDirs(points []string) map[int]bool {
	d := map[int]bool{}
	for _, p := range points {
		switch p {
		case "VnicTx", "Vmxnet3Tx", "PortInput", "UplinkRcv", "UplinkRcvKernel":
			d[0] = true
		case "VnicRx", "Vmxnet3Rx", "PortOutput", "UplinkSnd", "UplinkSndKernel":
			d[1] = true
		}
	}
	return d
}
