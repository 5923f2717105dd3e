package pktcap

// pktcap-uw's flow filters (--mac --srcmac --dstmac --ip --srcip --dstip --vlan --proto
// --srcport --dstport --tcpport --ethtype) on raw Ethernet frames, and a small subset of
// pcap filter expressions for --rcf: primitives joined by "and" (tcp, udp, icmp, arp,
// ip, [src|dst] port N, [src|dst] host A.B.C.D, ether host|src|dst MAC, vlan N), each
// optionally preceded by "not". Anything else is refused at start.

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net"
	"strconv"
	"strings"
)

type decoded struct {
	src, dst     []byte
	vlan         int // -1: untagged
	ethtype      int
	ipv4         bool
	proto        int
	sip, dip     []byte
	sport, dport int // -1 when not TCP/UDP
}

func decodeFrame(b []byte) (decoded, bool) {
	d := decoded{vlan: -1, proto: -1, sport: -1, dport: -1}
	if len(b) < 14 {
		return d, false
	}
	d.dst, d.src = b[0:6], b[6:12]
	d.ethtype = int(binary.BigEndian.Uint16(b[12:14]))
	off := 14
	if d.ethtype == 0x8100 && len(b) >= 18 {
		d.vlan = int(binary.BigEndian.Uint16(b[14:16]) & 0xfff)
		d.ethtype = int(binary.BigEndian.Uint16(b[16:18]))
		off = 18
	}
	if d.ethtype == 0x0800 && len(b) >= off+20 && b[off]>>4 == 4 {
		ihl := int(b[off]&0x0f) * 4
		d.ipv4 = true
		d.proto = int(b[off+9])
		d.sip, d.dip = b[off+12:off+16], b[off+16:off+20]
		l4 := off + ihl
		if (d.proto == 6 || d.proto == 17) && len(b) >= l4+4 {
			d.sport = int(binary.BigEndian.Uint16(b[l4 : l4+2]))
			d.dport = int(binary.BigEndian.Uint16(b[l4+2 : l4+4]))
		}
	}
	return d, true
}

type pktFilter struct {
	mac, srcmac, dstmac net.HardwareAddr
	ip, srcip, dstip    net.IP
	vlan, proto         int
	ethtype             int
	srcport, dstport    int
	tcpport             int
	vxlan               bool
	rcf                 []rcfTerm
}

func (f *pktFilter) match(b []byte) bool {
	if f.vxlan {
		return false
	}
	d, ok := decodeFrame(b)
	if !ok {
		return false
	}
	if f.mac != nil && !bytes.Equal(d.src, f.mac) && !bytes.Equal(d.dst, f.mac) {
		return false
	}
	if f.srcmac != nil && !bytes.Equal(d.src, f.srcmac) {
		return false
	}
	if f.dstmac != nil && !bytes.Equal(d.dst, f.dstmac) {
		return false
	}
	if f.vlan >= 0 && d.vlan != f.vlan {
		return false
	}
	if f.ethtype >= 0 && d.ethtype != f.ethtype {
		return false
	}
	if (f.ip != nil || f.srcip != nil || f.dstip != nil || f.proto >= 0) && !d.ipv4 {
		return false
	}
	if f.ip != nil && !bytes.Equal(d.sip, f.ip) && !bytes.Equal(d.dip, f.ip) {
		return false
	}
	if f.srcip != nil && !bytes.Equal(d.sip, f.srcip) {
		return false
	}
	if f.dstip != nil && !bytes.Equal(d.dip, f.dstip) {
		return false
	}
	if f.proto >= 0 && d.proto != f.proto {
		return false
	}
	if f.srcport >= 0 && d.sport != f.srcport {
		return false
	}
	if f.dstport >= 0 && d.dport != f.dstport {
		return false
	}
	if f.tcpport >= 0 && (d.proto != 6 || (d.sport != f.tcpport && d.dport != f.tcpport)) {
		return false
	}
	for _, t := range f.rcf {
		if t.match(&d) == t.not {
			return false
		}
	}
	return true
}

type rcfTerm struct {
	not  bool
	kind string // "proto", "port", "host", "ether", "vlan"
	dir  string // "", "src", "dst"
	n    int
	ip   net.IP
	mac  net.HardwareAddr
}

func (t rcfTerm) match(d *decoded) bool {
	either := func(a, b bool) bool {
		switch t.dir {
		case "src":
			return a
		case "dst":
			return b
		}
		return a || b
	}
	switch t.kind {
	case "proto":
		if t.n == 0x0806 {
			return d.ethtype == 0x0806
		}
		if t.n == 0x0800 {
			return d.ipv4
		}
		return d.ipv4 && d.proto == t.n
	case "port":
		return d.sport >= 0 && either(d.sport == t.n, d.dport == t.n)
	case "host":
		return d.ipv4 && either(bytes.Equal(d.sip, t.ip), bytes.Equal(d.dip, t.ip))
	case "ether":
		return either(bytes.Equal(d.src, t.mac), bytes.Equal(d.dst, t.mac))
	case "vlan":
		return d.vlan == t.n
	}
	return false
}

func compileRCF(expr string) ([]rcfTerm, error) {
	toks := strings.Fields(strings.ReplaceAll(expr, "&&", " and "))
	var out []rcfTerm
	for i := 0; i < len(toks); {
		t := rcfTerm{}
		if toks[i] == "not" || toks[i] == "!" {
			t.not = true
			i++
		}
		if i >= len(toks) {
			return nil, fmt.Errorf("unexpected end of expression")
		}
		if toks[i] == "src" || toks[i] == "dst" {
			t.dir = toks[i]
			i++
		}
		if i >= len(toks) {
			return nil, fmt.Errorf("unexpected end of expression")
		}
		kw := toks[i]
		i++
		arg := func() (string, error) {
			if i >= len(toks) {
				return "", fmt.Errorf("%s needs an argument", kw)
			}
			i++
			return toks[i-1], nil
		}
		switch kw {
		case "tcp", "udp", "icmp", "arp", "ip":
			t.kind = "proto"
			t.n = map[string]int{"tcp": 6, "udp": 17, "icmp": 1, "arp": 0x0806, "ip": 0x0800}[kw]
		case "port":
			a, err := arg()
			if err != nil {
				return nil, err
			}
			n, err := strconv.Atoi(a)
			if err != nil || n < 0 || n > 65535 {
				return nil, fmt.Errorf("bad port %q", a)
			}
			t.kind, t.n = "port", n
		case "host":
			a, err := arg()
			if err != nil {
				return nil, err
			}
			t.kind, t.ip = "host", net.ParseIP(a).To4()
			if t.ip == nil {
				return nil, fmt.Errorf("bad host %q", a)
			}
		case "ether":
			if i < len(toks) && (toks[i] == "host" || toks[i] == "src" || toks[i] == "dst") {
				if toks[i] != "host" {
					t.dir = toks[i]
				}
				i++
			}
			a, err := arg()
			if err != nil {
				return nil, err
			}
			m, err := net.ParseMAC(a)
			if err != nil {
				return nil, fmt.Errorf("bad MAC %q", a)
			}
			t.kind, t.mac = "ether", m
		case "vlan":
			a, err := arg()
			if err != nil {
				return nil, err
			}
			n, err := strconv.Atoi(a)
			if err != nil {
				return nil, fmt.Errorf("bad vlan %q", a)
			}
			t.kind, t.n = "vlan", n
		default:
			return nil, fmt.Errorf("syntax error near %q (the lab supports a subset of pcap filters)", kw)
		}
		out = append(out, t)
		if i < len(toks) {
			if toks[i] != "and" {
				return nil, fmt.Errorf("syntax error near %q (only \"and\" joins terms in the lab)", toks[i])
			}
			i++
			if i >= len(toks) {
				return nil, fmt.Errorf("unexpected end of expression")
			}
		}
	}
	return out, nil
}
