// Package mirrortest is a collector of the lab's mirrored traffic for tests: a raw
// IPPROTO_GRE socket (root) that keeps the packets sent to one loopback address of
// its own, parsed by its own reading of the formats (RFC 2784/2890 GRE,
// draft-foschiano-erspan-03), not by package mirror's encoder.
package mirrortest

import (
	"encoding/binary"
	"fmt"
	"math/rand"
	"net"
	"os"
	"syscall"
	"testing"
	"time"
)

// Packet is one received GRE packet, its headers read field by field.
type Packet struct {
	Src, Dst   net.IP
	TTL        int
	Proto      uint16
	Flags      uint16
	Key        *uint32
	Seq        *uint32
	Ver        int // ERSPAN version field (1: type II, 2: type III); 0 for plain GRE
	Vlan       int
	Cos        int
	En         int // type II En / type III BSO
	Truncated  bool
	Session    int
	Index      uint32 // type II
	Timestamp  uint32 // type III
	Sgt        int
	P          bool
	Ft         int
	HwID       int
	Egress     bool
	Gra        int
	O          bool
	PlatformID int
	PlatInfo   uint64
	Frame      []byte
}

// Collector receives the GRE packets sent to Addr.
type Collector struct {
	t    *testing.T
	fd   int
	Addr net.IP // the destination address to give the sessions
}

// NewCollector opens the raw socket and picks a loopback address no other test uses.
func NewCollector(t *testing.T) *Collector {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_RAW, syscall.IPPROTO_GRE)
	if err != nil {
		t.Fatalf("raw GRE socket (the lab tests run as root): %v", err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	tv := syscall.NsecToTimeval(int64(100 * time.Millisecond))
	if err := syscall.SetsockoptTimeval(fd, syscall.SOL_SOCKET, syscall.SO_RCVTIMEO, &tv); err != nil {
		t.Fatal(err)
	}
	if err := syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_RCVBUF, 8<<20); err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewSource(time.Now().UnixNano() + int64(os.Getpid())))
	addr := net.IPv4(127, byte(100+r.Intn(100)), byte(r.Intn(256)), byte(1+r.Intn(254))).To4()
	return &Collector{t: t, fd: fd, Addr: addr}
}

// Collect reads until n packets for the collector's address arrived or the deadline.
func (c *Collector) Collect(n int, deadline time.Duration) []Packet {
	c.t.Helper()
	var out []Packet
	buf := make([]byte, 70000)
	end := time.Now().Add(deadline)
	for len(out) < n && time.Now().Before(end) {
		m, _, err := syscall.Recvfrom(c.fd, buf, 0)
		if err != nil {
			if err == syscall.EAGAIN || err == syscall.EINTR {
				continue
			}
			c.t.Fatal(err)
		}
		p, err := ParsePacket(buf[:m])
		if err != nil {
			c.t.Fatalf("a GRE Packet that does not parse: %v\n% x", err, buf[:m])
		}
		if p.Dst.Equal(c.Addr) {
			out = append(out, p)
		}
	}
	return out
}

// Quiet says no Packet for the collector arrives within d.
func (c *Collector) Quiet(d time.Duration) []Packet {
	return c.Collect(1, d)
}

func ParsePacket(b []byte) (Packet, error) {
	var p Packet
	if len(b) < 20 || b[0]>>4 != 4 {
		return p, fmt.Errorf("not IPv4")
	}
	ihl := int(b[0]&15) * 4
	total := int(binary.BigEndian.Uint16(b[2:]))
	if total != len(b) || ihl < 20 || b[9] != 47 {
		return p, fmt.Errorf("IPv4 total %d of %d bytes, IHL %d, protocol %d", total, len(b), ihl, b[9])
	}
	var sum uint32
	for i := 0; i < ihl; i += 2 {
		sum += uint32(binary.BigEndian.Uint16(b[i:]))
	}
	for sum > 0xffff {
		sum = sum&0xffff + sum>>16
	}
	if sum != 0xffff {
		return p, fmt.Errorf("IPv4 header checksum wrong")
	}
	p.TTL = int(b[8])
	p.Src, p.Dst = net.IP(append([]byte(nil), b[12:16]...)), net.IP(append([]byte(nil), b[16:20]...))
	g := b[ihl:]
	if len(g) < 4 {
		return p, fmt.Errorf("GRE header short")
	}
	p.Flags = binary.BigEndian.Uint16(g)
	p.Proto = binary.BigEndian.Uint16(g[2:])
	if p.Flags&0x4fff != 0 || p.Flags&0x8000 != 0 {
		return p, fmt.Errorf("GRE flags %#04x: routing, checksum or a version the lab never sends", p.Flags)
	}
	off := 4
	if p.Flags&0x2000 != 0 {
		k := binary.BigEndian.Uint32(g[off:])
		p.Key = &k
		off += 4
	}
	if p.Flags&0x1000 != 0 {
		s := binary.BigEndian.Uint32(g[off:])
		p.Seq = &s
		off += 4
	}
	g = g[off:]
	switch p.Proto {
	case 0x6558:
	case 0x88BE, 0x22EB:
		if len(g) < 8 {
			return p, fmt.Errorf("ERSPAN header short")
		}
		w0, w1 := binary.BigEndian.Uint16(g), binary.BigEndian.Uint16(g[2:])
		p.Ver, p.Vlan = int(w0>>12), int(w0&0xfff)
		p.Cos, p.En, p.Truncated, p.Session = int(w1>>13), int(w1>>11&3), w1>>10&1 == 1, int(w1&0x3ff)
		if p.Proto == 0x88BE {
			p.Index = binary.BigEndian.Uint32(g[4:]) & 0xfffff
			g = g[8:]
			break
		}
		if len(g) < 12 {
			return p, fmt.Errorf("ERSPAN III header short")
		}
		p.Timestamp = binary.BigEndian.Uint32(g[4:])
		p.Sgt = int(binary.BigEndian.Uint16(g[8:]))
		w := binary.BigEndian.Uint16(g[10:])
		p.P, p.Ft, p.HwID = w>>15 == 1, int(w>>10&31), int(w>>4&63)
		p.Egress, p.Gra, p.O = w>>3&1 == 1, int(w>>1&3), w&1 == 1
		g = g[12:]
		if p.O {
			v := binary.BigEndian.Uint64(g)
			p.PlatformID, p.PlatInfo = int(v>>58), v&(1<<58-1)
			g = g[8:]
		}
	default:
		return p, fmt.Errorf("GRE protocol %#04x", p.Proto)
	}
	p.Frame = append([]byte(nil), g...)
	return p, nil
}
