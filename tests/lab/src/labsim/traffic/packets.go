package traffic

// Builders of real Ethernet frames: DHCP (BOOTP + options over UDP 68<->67), ARP,
// RARP, ICMP echo and UDP, with correct IPv4 and UDP checksums.

import (
	"encoding/binary"
	"hash/fnv"
	"net"
	"strings"
)

var (
	// GatewayMAC and GatewayIP are the external router, DHCP server and ping target.
	GatewayMAC = net.HardwareAddr{0x02, 0x00, 0x5e, 0x00, 0x00, 0x01}
	GatewayIP  = net.IPv4(10, 255, 255, 254).To4()
	// SinkIP receives the UDP probes (and the flood) of VMs that have no peer on their host.
	SinkIP   = net.IPv4(10, 255, 255, 253).To4()
	netmask  = net.IPv4(255, 0, 0, 0).To4()
	bcastMAC = net.HardwareAddr{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
)

// GuestIP is the address DHCP gives the NIC with this MAC: 10.<last three octets>.
func GuestIP(mac string) net.IP {
	m, err := net.ParseMAC(mac)
	if err != nil || len(m) != 6 {
		return net.IPv4(10, 0, 0, 1).To4()
	}
	last := m[5]
	if last == 0 {
		last = 1
	} else if last == 255 {
		last = 254
	}
	return net.IPv4(10, m[3], m[4], last).To4()
}

func mustMAC(s string) net.HardwareAddr {
	m, err := net.ParseMAC(s)
	if err != nil {
		return make(net.HardwareAddr, 6)
	}
	return m
}

// xidFor gives every boot of every NIC its own DHCP transaction ID.
func xidFor(mac string, boot int) uint32 {
	f := fnv.New32a()
	f.Write([]byte(mac))
	f.Write([]byte{byte(boot), byte(boot >> 8), byte(boot >> 16)})
	return f.Sum32()
}

func icmpIDFor(mac string) uint16 {
	f := fnv.New32a()
	f.Write([]byte(mac))
	return uint16(f.Sum32())
}

func ethernet(dst, src net.HardwareAddr, etype uint16, payload []byte) []byte {
	b := make([]byte, 14+len(payload))
	copy(b[0:6], dst)
	copy(b[6:12], src)
	binary.BigEndian.PutUint16(b[12:14], etype)
	copy(b[14:], payload)
	return b
}

func checksum(b []byte, initial uint32) uint16 {
	sum := initial
	for i := 0; i+1 < len(b); i += 2 {
		sum += uint32(binary.BigEndian.Uint16(b[i:]))
	}
	if len(b)%2 == 1 {
		sum += uint32(b[len(b)-1]) << 8
	}
	for sum>>16 != 0 {
		sum = sum&0xffff + sum>>16
	}
	return ^uint16(sum)
}

func ipv4(src, dst net.IP, proto byte, id uint16, payload []byte) []byte {
	b := make([]byte, 20+len(payload))
	b[0] = 0x45
	binary.BigEndian.PutUint16(b[2:], uint16(len(b)))
	binary.BigEndian.PutUint16(b[4:], id)
	b[8] = 64
	b[9] = proto
	copy(b[12:16], src.To4())
	copy(b[16:20], dst.To4())
	binary.BigEndian.PutUint16(b[10:], checksum(b[:20], 0))
	copy(b[20:], payload)
	return b
}

func udp(src, dst net.IP, sport, dport uint16, payload []byte) []byte {
	b := make([]byte, 8+len(payload))
	binary.BigEndian.PutUint16(b[0:], sport)
	binary.BigEndian.PutUint16(b[2:], dport)
	binary.BigEndian.PutUint16(b[4:], uint16(len(b)))
	copy(b[8:], payload)
	pseudo := make([]byte, 12)
	copy(pseudo[0:4], src.To4())
	copy(pseudo[4:8], dst.To4())
	pseudo[9] = 17
	binary.BigEndian.PutUint16(pseudo[10:], uint16(len(b)))
	var sum uint32
	for i := 0; i < 12; i += 2 {
		sum += uint32(binary.BigEndian.Uint16(pseudo[i:]))
	}
	cs := checksum(b, sum)
	if cs == 0 {
		cs = 0xffff
	}
	binary.BigEndian.PutUint16(b[6:], cs)
	return b
}

// DHCP message types (option 53, RFC 2132 section 9.6).
const (
	dhcpDiscover = 1
	dhcpOffer    = 2
	dhcpRequest  = 3
	dhcpDecline  = 4
	dhcpAck      = 5
	dhcpNak      = 6
)

func hostnameOption(name string) []byte {
	var b strings.Builder
	for _, r := range name {
		if (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') || r == '-' {
			b.WriteRune(r)
		} else {
			b.WriteByte('-')
		}
	}
	s := b.String()
	if len(s) > 63 {
		s = s[:63]
	}
	if s == "" {
		s = "guest"
	}
	return []byte(s)
}

// PXE's vendor class (option 60) as a PXE 2.1 BIOS client sends it, and the
// "PXEClient" a PXE-aware server echoes (Intel PXE specification 2.1).
const (
	pxeClientClass = "PXEClient:Arch:00000:UNDI:002001"
	pxeServerClass = "PXEClient"
)

// dhcpMsg is one DHCP message and its link and IP addressing. Client messages (op 1)
// carry the client identifier (61), the hostname (12, when set), the requested address
// (50) and server identifier (54) when set, PXE's options 60/93/94/97 when pxe, and a
// parameter request list (55) when params; server messages (op 2) carry the server
// identifier, a message (56), the lease (51), mask/router/DNS, and for PXE 60/66/67.
type dhcpMsg struct {
	typ                    byte
	xid                    uint32
	secs                   uint16
	chaddr                 net.HardwareAddr
	hostname               string
	ciaddr, yiaddr, siaddr net.IP
	requested, serverID    net.IP
	params                 bool
	lease                  uint32
	mask, router, dns      net.IP
	message                string
	pxe                    bool
	tftpServer, bootFile   string

	srcMAC, dstMAC net.HardwareAddr
	srcIP, dstIP   net.IP
	ipID           uint16
}

func fromClient(t byte) bool { return t == dhcpDiscover || t == dhcpRequest || t == dhcpDecline }

func put4(opts []byte, code byte, ip net.IP) []byte {
	return append(append(opts, code, 4), ip.To4()...)
}

func putStr(opts []byte, code byte, s string) []byte {
	if len(s) > 255 {
		s = s[:255]
	}
	return append(append(opts, code, byte(len(s))), s...)
}

// buildDHCP is the Ethernet frame of m (BOOTP + options over UDP 68 <-> 67).
func buildDHCP(m dhcpMsg) []byte {
	client := fromClient(m.typ)
	bootp := make([]byte, 236)
	if client {
		bootp[0] = 1
	} else {
		bootp[0] = 2
	}
	bootp[1], bootp[2] = 1, 6
	binary.BigEndian.PutUint32(bootp[4:], m.xid)
	binary.BigEndian.PutUint16(bootp[8:], m.secs)
	copy(bootp[12:16], m.ciaddr.To4())
	copy(bootp[16:20], m.yiaddr.To4())
	copy(bootp[20:24], m.siaddr.To4())
	copy(bootp[28:34], m.chaddr)
	if !client && m.pxe {
		copy(bootp[44:107], m.tftpServer) // sname
		copy(bootp[108:235], m.bootFile)  // file
	}
	opts := []byte{99, 130, 83, 99, 53, 1, m.typ}
	if client {
		opts = append(opts, 61, 7, 1)
		opts = append(opts, m.chaddr...)
		if m.hostname != "" {
			hn := hostnameOption(m.hostname)
			opts = append(opts, 12, byte(len(hn)))
			opts = append(opts, hn...)
		}
		if m.requested != nil {
			opts = put4(opts, 50, m.requested)
		}
		if m.serverID != nil {
			opts = put4(opts, 54, m.serverID)
		}
		if m.pxe {
			opts = putStr(opts, 60, pxeClientClass)
			opts = append(opts, 93, 2, 0, 0)    // client system architecture: x86 BIOS (RFC 4578 2.1)
			opts = append(opts, 94, 3, 1, 2, 1) // client network interface: UNDI 2.1 (RFC 4578 2.2)
			opts = append(opts, 97, 17, 0)      // client machine identifier: type 0 + a UUID (RFC 4578 2.3)
			uuid := make([]byte, 16)
			copy(uuid[10:], m.chaddr)
			opts = append(opts, uuid...)
		}
		if m.params {
			list := []byte{1, 3, 6, 15, 28, 51, 58, 59}
			if m.pxe {
				list = append(list, 60, 66, 67)
			}
			opts = append(append(opts, 55, byte(len(list))), list...)
		}
	} else {
		opts = put4(opts, 54, m.serverID)
		if m.message != "" {
			opts = putStr(opts, 56, m.message)
		}
		if m.lease != 0 {
			opts = append(opts, 51, 4, byte(m.lease>>24), byte(m.lease>>16), byte(m.lease>>8), byte(m.lease))
		}
		if m.mask != nil {
			opts = put4(opts, 1, m.mask)
		}
		if m.router != nil {
			opts = put4(opts, 3, m.router)
		}
		if m.dns != nil {
			opts = put4(opts, 6, m.dns)
		}
		if m.pxe {
			opts = putStr(opts, 60, pxeServerClass)
			opts = putStr(opts, 66, m.tftpServer)
			opts = putStr(opts, 67, m.bootFile)
		}
	}
	opts = append(opts, 255)
	payload := append(bootp, opts...)
	for len(payload) < 300 {
		payload = append(payload, 0)
	}
	sport, dport := uint16(67), uint16(68)
	if client {
		sport, dport = 68, 67
	}
	u := udp(m.srcIP, m.dstIP, sport, dport, payload)
	return ethernet(m.dstMAC, m.srcMAC, 0x0800, ipv4(m.srcIP, m.dstIP, 17, m.ipID, u))
}

// clientDHCP addresses a client message: broadcast from 0.0.0.0 (RFC 2131 4.1, 4.4.4).
func clientDHCP(m dhcpMsg) dhcpMsg {
	m.srcMAC, m.dstMAC = m.chaddr, bcastMAC
	m.srcIP, m.dstIP = net.IPv4zero.To4(), net.IPv4bcast.To4()
	m.ipID = uint16(m.xid)
	return m
}

// serverDHCP addresses a server's reply from (mac, ip): OFFER and ACK unicast to the
// client's hardware address and yiaddr, NAK broadcast (RFC 2131 4.1: "In all cases,
// when 'giaddr' is zero, the server broadcasts any DHCPNAK messages to 0xffffffff").
func serverDHCP(m dhcpMsg, mac net.HardwareAddr, ip net.IP) dhcpMsg {
	m.srcMAC, m.srcIP = mac, ip
	if m.typ == dhcpNak {
		m.dstMAC, m.dstIP = bcastMAC, net.IPv4bcast.To4()
	} else {
		m.dstMAC, m.dstIP = m.chaddr, m.yiaddr
	}
	m.ipID = uint16(m.xid >> 16)
	return m
}

// dhcpFrame builds one message of the default exchange between the NIC mac and the
// gateway (the lab's frames before boot scenarios existed, byte for byte).
func dhcpFrame(msgType byte, xid uint32, mac string, vmName string) []byte {
	cm := mustMAC(mac)
	ip := GuestIP(mac)
	if fromClient(msgType) {
		m := dhcpMsg{typ: msgType, xid: xid, chaddr: cm, hostname: vmName, params: true}
		if msgType == dhcpRequest {
			m.requested, m.serverID = ip, GatewayIP
		}
		return buildDHCP(clientDHCP(m))
	}
	return buildDHCP(serverDHCP(gatewayReply(msgType, xid, cm, ip), GatewayMAC, GatewayIP))
}

// gatewayReply is the lab's DHCP server's OFFER or ACK giving ip (lease 86400 s).
func gatewayReply(msgType byte, xid uint32, chaddr net.HardwareAddr, ip net.IP) dhcpMsg {
	return dhcpMsg{typ: msgType, xid: xid, chaddr: chaddr, yiaddr: ip, siaddr: GatewayIP, serverID: GatewayIP,
		lease: 86400, mask: netmask, router: GatewayIP, dns: GatewayIP}
}

func arpFrame(op uint16, sha net.HardwareAddr, spa net.IP, tha net.HardwareAddr, tpa net.IP, dst net.HardwareAddr) []byte {
	b := make([]byte, 28)
	binary.BigEndian.PutUint16(b[0:], 1)
	binary.BigEndian.PutUint16(b[2:], 0x0800)
	b[4], b[5] = 6, 4
	binary.BigEndian.PutUint16(b[6:], op)
	copy(b[8:14], sha)
	copy(b[14:18], spa.To4())
	copy(b[18:24], tha)
	copy(b[24:28], tpa.To4())
	return ethernet(dst, sha, 0x0806, b)
}

// rarpFrame is what ESXi sends for a VM after vMotion so physical switches learn its MAC.
func rarpFrame(mac string) []byte {
	m := mustMAC(mac)
	b := make([]byte, 28)
	binary.BigEndian.PutUint16(b[0:], 1)
	binary.BigEndian.PutUint16(b[2:], 0x0800)
	b[4], b[5] = 6, 4
	binary.BigEndian.PutUint16(b[6:], 3) // reverse request
	copy(b[8:14], m)
	copy(b[18:24], m)
	return ethernet(bcastMAC, m, 0x8035, b)
}

func icmpEcho(typ byte, id, seq uint16, seq64 uint64) []byte {
	b := make([]byte, 8+48)
	b[0] = typ
	binary.BigEndian.PutUint16(b[4:], id)
	binary.BigEndian.PutUint16(b[6:], seq)
	binary.BigEndian.PutUint64(b[8:], seq64)
	for i := 16; i < len(b); i++ {
		b[i] = byte(i)
	}
	binary.BigEndian.PutUint16(b[2:], checksum(b, 0))
	return b
}

func icmpFrame(request bool, mac string, ip net.IP, seq uint64) []byte {
	m := mustMAC(mac)
	id := icmpIDFor(mac)
	if request {
		return ethernet(GatewayMAC, m, 0x0800, ipv4(ip, GatewayIP, 1, uint16(seq), icmpEcho(8, id, uint16(seq), seq)))
	}
	return ethernet(m, GatewayMAC, 0x0800, ipv4(GatewayIP, ip, 1, uint16(seq), icmpEcho(0, id, uint16(seq), seq)))
}

// udpSeqPayload carries "LABSEQ", the sequence number and padding up to size bytes.
func udpSeqPayload(seq uint64, size int) []byte {
	if size < 14 {
		size = 14
	}
	b := make([]byte, size)
	copy(b, "LABSEQ")
	binary.BigEndian.PutUint64(b[6:], seq)
	return b
}

func udpFrame(srcMAC, dstMAC net.HardwareAddr, src, dst net.IP, sport, dport uint16, seq uint64, payloadLen int) []byte {
	return ethernet(dstMAC, srcMAC, 0x0800, ipv4(src, dst, 17, uint16(seq), udp(src, dst, sport, dport, udpSeqPayload(seq, payloadLen))))
}
