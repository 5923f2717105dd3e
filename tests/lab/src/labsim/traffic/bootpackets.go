package traffic

// Builders of the other boot-time frames: ARP probes and announcements (RFC 5227),
// TFTP (RFC 1350), and IPv6's router solicitation (RFC 4861) and DHCPv6 SOLICIT
// (RFC 8415), with correct checksums.

import (
	"encoding/binary"
	"net"
)

var zeroIP = net.IPv4zero.To4()

// arpProbe: "an ARP Request packet, broadcast on the local link, with an all-zero
// 'sender IP address'... The 'target hardware address' field is ignored and SHOULD be
// set to all zeroes. The 'target IP address' field MUST be set to the address being
// probed" (RFC 5227 2.1.1).
func arpProbe(mac net.HardwareAddr, ip net.IP) []byte {
	return arpFrame(1, mac, zeroIP, make(net.HardwareAddr, 6), ip, bcastMAC)
}

// arpAnnounce: an ARP request with sender and target IP both the claimed address
// (RFC 5227 2.3); the lab's gratuitous ARP has always been this frame.
func arpAnnounce(mac net.HardwareAddr, ip net.IP) []byte {
	return arpFrame(1, mac, ip, make(net.HardwareAddr, 6), ip, bcastMAC)
}

// arpDefend is the ARP reply of the host that owns ip to a probe from prober: unicast,
// target IP the probe's sender address, 0.0.0.0.
func arpDefend(owner net.HardwareAddr, ip net.IP, prober net.HardwareAddr) []byte {
	return arpFrame(2, owner, ip, prober, zeroIP, prober)
}

// TFTP opcodes and error codes (RFC 1350 section 5 and the appendix).
const (
	tftpRRQ   = 1
	tftpDATA  = 3
	tftpACK   = 4
	tftpERROR = 5

	tftpFileNotFound = 1
	tftpBlock        = 512
)

// tftpRRQ: opcode 1, filename, 0, mode, 0 (RFC 1350 figure 5-1).
func tftpRRQPayload(file string) []byte {
	b := []byte{0, tftpRRQ}
	b = append(append(b, file...), 0)
	return append(append(b, "octet"...), 0)
}

// tftpErrorPayload: opcode 5, error code, message, 0 (RFC 1350 figure 5-4).
func tftpErrorPayload(code uint16, msg string) []byte {
	b := []byte{0, tftpERROR, byte(code >> 8), byte(code)}
	return append(append(b, msg...), 0)
}

func tftpDataPayload(block uint16, data []byte) []byte {
	return append([]byte{0, tftpDATA, byte(block >> 8), byte(block)}, data...)
}

func tftpAckPayload(block uint16) []byte {
	return []byte{0, tftpACK, byte(block >> 8), byte(block)}
}

func udpIPv4Frame(srcMAC, dstMAC net.HardwareAddr, src, dst net.IP, sport, dport, id uint16, payload []byte) []byte {
	return ethernet(dstMAC, srcMAC, 0x0800, ipv4(src, dst, 17, id, udp(src, dst, sport, dport, payload)))
}

// linkLocal is the modified EUI-64 link-local address of mac (RFC 4291 appendix A).
func linkLocal(mac net.HardwareAddr) net.IP {
	ip := make(net.IP, 16)
	ip[0], ip[1] = 0xfe, 0x80
	ip[8], ip[9], ip[10] = mac[0]^0x02, mac[1], mac[2]
	ip[11], ip[12] = 0xff, 0xfe
	ip[13], ip[14], ip[15] = mac[3], mac[4], mac[5]
	return ip
}

var (
	allRouters      = net.ParseIP("ff02::2")
	allDHCPv6Agents = net.ParseIP("ff02::1:2")
)

// multicastMAC maps an IPv6 multicast address to 33:33 + its last 32 bits (RFC 2464 7).
func multicastMAC(ip net.IP) net.HardwareAddr {
	return net.HardwareAddr{0x33, 0x33, ip[12], ip[13], ip[14], ip[15]}
}

// ipv6Packet is an IPv6 header (next header nh) and payload, with the upper-layer
// checksum at csumAt in payload filled from the pseudo-header (RFC 8200 8.1).
func ipv6Packet(src, dst net.IP, nh, hops byte, payload []byte, csumAt int) []byte {
	pseudo := make([]byte, 40)
	copy(pseudo[0:16], src)
	copy(pseudo[16:32], dst)
	binary.BigEndian.PutUint32(pseudo[32:], uint32(len(payload)))
	pseudo[39] = nh
	var sum uint32
	for i := 0; i < 40; i += 2 {
		sum += uint32(binary.BigEndian.Uint16(pseudo[i:]))
	}
	cs := checksum(payload, sum)
	if nh == 17 && cs == 0 {
		cs = 0xffff
	}
	binary.BigEndian.PutUint16(payload[csumAt:], cs)
	b := make([]byte, 40+len(payload))
	b[0] = 0x60
	binary.BigEndian.PutUint16(b[4:], uint16(len(payload)))
	b[6], b[7] = nh, hops
	copy(b[8:24], src)
	copy(b[24:40], dst)
	copy(b[40:], payload)
	return b
}

// routerSolicitation: ICMPv6 type 133 from the link-local address to all-routers, hop
// limit 255, with the source link-layer address option (RFC 4861 4.1).
func routerSolicitation(mac net.HardwareAddr) []byte {
	icmp := make([]byte, 8+8)
	icmp[0] = 133
	icmp[8], icmp[9] = 1, 1
	copy(icmp[10:16], mac)
	return ethernet(multicastMAC(allRouters), mac, 0x86dd, ipv6Packet(linkLocal(mac), allRouters, 58, 255, icmp, 2))
}

// dhcpv6Solicit: message type 1, transaction ID, Client Identifier (DUID-LL, RFC 8415
// 11.4), Elapsed Time (hundredths of a second), an empty IA_NA and an Option Request
// for DNS servers and domain list; UDP 546 -> 547 to All_DHCP_Relay_Agents_and_Servers.
func dhcpv6Solicit(mac net.HardwareAddr, xid uint32, elapsed uint16) []byte {
	b := []byte{1, byte(xid >> 16), byte(xid >> 8), byte(xid)}
	b = append(b, 0, 1, 0, 10, 0, 3, 0, 1) // OPTION_CLIENTID, DUID-LL, Ethernet
	b = append(b, mac...)
	b = append(b, 0, 8, 0, 2, byte(elapsed>>8), byte(elapsed)) // OPTION_ELAPSED_TIME
	iaid := binary.BigEndian.Uint32(append([]byte{0}, mac[3:6]...))
	b = append(b, 0, 3, 0, 12, byte(iaid>>24), byte(iaid>>16), byte(iaid>>8), byte(iaid)) // OPTION_IA_NA
	b = append(b, 0, 0, 0, 0, 0, 0, 0, 0)                                                 // T1, T2
	b = append(b, 0, 6, 0, 4, 0, 23, 0, 24)                                               // OPTION_ORO: DNS, domain list
	src := linkLocal(mac)
	u := make([]byte, 8+len(b))
	binary.BigEndian.PutUint16(u[0:], 546)
	binary.BigEndian.PutUint16(u[2:], 547)
	binary.BigEndian.PutUint16(u[4:], uint16(len(u)))
	copy(u[8:], b)
	return ethernet(multicastMAC(allDHCPv6Agents), mac, 0x86dd, ipv6Packet(src, allDHCPv6Agents, 17, 1, u, 6))
}
