// Builders of the frames the report's tests read: Ethernet, 802.1Q, ARP, IPv4, UDP,
// DHCP (BOOTP + options), TFTP, IPv6, ICMPv6 router solicitation, DHCPv6, with valid
// lengths (checksums are left 0: the parser does not check them). Test code only.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "report/boot_event.h"

namespace vmc::report::testing {

using Bytes = std::vector<uint8_t>;

inline void put16(Bytes& b, size_t at, uint16_t v) {
  b[at] = static_cast<uint8_t>(v >> 8);
  b[at + 1] = static_cast<uint8_t>(v);
}
inline void put32(Bytes& b, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) b[at + i] = static_cast<uint8_t>(v >> (24 - 8 * i));
}
inline void append(Bytes& b, const Bytes& more) { b.insert(b.end(), more.begin(), more.end()); }

inline Mac mac(const char* s) { return *Mac::parse(s); }
inline Ipv4 ip(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  return Ipv4{static_cast<uint32_t>(a) << 24 | static_cast<uint32_t>(b) << 16 | static_cast<uint32_t>(c) << 8 | d};
}

inline const Mac kBroadcast = mac("ff:ff:ff:ff:ff:ff");

inline Bytes ethernet(Mac dst, Mac src, uint16_t type, const Bytes& payload, int vlan = -1) {
  Bytes b(dst.b.begin(), dst.b.end());
  b.insert(b.end(), src.b.begin(), src.b.end());
  if (vlan >= 0) {
    b.push_back(0x81), b.push_back(0x00);
    b.push_back(static_cast<uint8_t>(vlan >> 8)), b.push_back(static_cast<uint8_t>(vlan));
  }
  b.push_back(static_cast<uint8_t>(type >> 8)), b.push_back(static_cast<uint8_t>(type));
  append(b, payload);
  while (b.size() < 60) b.push_back(0);  // Ethernet's minimum (without FCS)
  return b;
}

inline Bytes ipv4(Ipv4 src, Ipv4 dst, uint8_t proto, const Bytes& payload, const Bytes& options = {}) {
  const size_t hl = 20 + options.size();
  Bytes b(hl, 0);
  b[0] = static_cast<uint8_t>(0x40 | hl / 4);
  put16(b, 2, static_cast<uint16_t>(hl + payload.size()));
  b[8] = 64, b[9] = proto;
  put32(b, 12, src.v);
  put32(b, 16, dst.v);
  std::copy(options.begin(), options.end(), b.begin() + 20);
  append(b, payload);
  return b;
}

inline Bytes udp(uint16_t sport, uint16_t dport, const Bytes& payload) {
  Bytes b(8, 0);
  put16(b, 0, sport);
  put16(b, 2, dport);
  put16(b, 4, static_cast<uint16_t>(8 + payload.size()));
  append(b, payload);
  return b;
}

/// A DHCP message: the BOOTP header and the options in `options` (code, value), then
/// END, padded to 300 bytes as clients do.
struct Dhcp {
  uint8_t op = 1;
  uint8_t type = 1;
  uint32_t xid = 0x11223344;
  uint16_t secs = 0;
  Mac chaddr = mac("00:50:56:aa:00:01");
  Ipv4 ciaddr, yiaddr, siaddr;
  std::string sname, file;
  std::vector<std::pair<uint8_t, Bytes>> options;

  Dhcp& opt(uint8_t code, Bytes v) {
    options.emplace_back(code, std::move(v));
    return *this;
  }
  Dhcp& opt_ip(uint8_t code, Ipv4 a) {
    Bytes v(4);
    put32(v, 0, a.v);
    return opt(code, v);
  }
  Dhcp& opt_str(uint8_t code, const std::string& s) { return opt(code, Bytes(s.begin(), s.end())); }

  Bytes bytes() const {
    Bytes b(240, 0);
    b[0] = op, b[1] = 1, b[2] = 6;
    put32(b, 4, xid);
    put16(b, 8, secs);
    put32(b, 12, ciaddr.v);
    put32(b, 16, yiaddr.v);
    put32(b, 20, siaddr.v);
    std::copy(chaddr.b.begin(), chaddr.b.end(), b.begin() + 28);
    std::copy(sname.begin(), sname.end(), b.begin() + 44);
    std::copy(file.begin(), file.end(), b.begin() + 108);
    put32(b, 236, 0x63825363);
    b.push_back(53), b.push_back(1), b.push_back(type);
    for (const auto& [code, v] : options) {
      b.push_back(code), b.push_back(static_cast<uint8_t>(v.size()));
      append(b, v);
    }
    b.push_back(255);
    while (b.size() < 300) b.push_back(0);
    return b;
  }
};

inline const Ipv4 kZero{}, kBcast = ip(255, 255, 255, 255);

/// The client's broadcast (0.0.0.0 -> 255.255.255.255, 68 -> 67).
inline Bytes client_frame(const Dhcp& d) {
  return ethernet(kBroadcast, d.chaddr, 0x0800, ipv4(kZero, kBcast, 17, udp(68, 67, d.bytes())));
}
/// A server's reply from (mac, ip) to the client (unicast) or broadcast.
inline Bytes server_frame(const Dhcp& d, Mac server_mac, Ipv4 server_ip, bool broadcast = false) {
  const Mac dst = broadcast ? kBroadcast : d.chaddr;
  const Ipv4 to = broadcast ? kBcast : d.yiaddr;
  return ethernet(dst, server_mac, 0x0800, ipv4(server_ip, to, 17, udp(67, 68, d.bytes())));
}

inline Bytes arp(uint16_t op, Mac sha, Ipv4 spa, Mac tha, Ipv4 tpa, Mac dst, uint16_t ethertype = 0x0806) {
  Bytes b(28, 0);
  put16(b, 0, 1);
  put16(b, 2, 0x0800);
  b[4] = 6, b[5] = 4;
  put16(b, 6, op);
  std::copy(sha.b.begin(), sha.b.end(), b.begin() + 8);
  put32(b, 14, spa.v);
  std::copy(tha.b.begin(), tha.b.end(), b.begin() + 18);
  put32(b, 24, tpa.v);
  return ethernet(dst, sha, ethertype, b);
}

inline Bytes tftp_rrq(const std::string& file) {
  Bytes b{0, 1};
  b.insert(b.end(), file.begin(), file.end());
  b.push_back(0);
  for (char c : std::string("octet")) b.push_back(static_cast<uint8_t>(c));
  b.push_back(0);
  return b;
}
inline Bytes tftp_error(uint16_t code, const std::string& msg) {
  Bytes b{0, 5, static_cast<uint8_t>(code >> 8), static_cast<uint8_t>(code)};
  b.insert(b.end(), msg.begin(), msg.end());
  b.push_back(0);
  return b;
}
inline Bytes tftp_data(uint16_t block, size_t n) {
  Bytes b{0, 3, static_cast<uint8_t>(block >> 8), static_cast<uint8_t>(block)};
  b.resize(4 + n, 0xaa);
  return b;
}

inline Bytes ipv6(const Ipv6& src, const Ipv6& dst, uint8_t next, const Bytes& payload) {
  Bytes b(40, 0);
  b[0] = 0x60;
  put16(b, 4, static_cast<uint16_t>(payload.size()));
  b[6] = next, b[7] = 255;
  std::copy(src.b.begin(), src.b.end(), b.begin() + 8);
  std::copy(dst.b.begin(), dst.b.end(), b.begin() + 24);
  append(b, payload);
  return b;
}

inline Ipv6 link_local(Mac m) {
  Ipv6 a;
  a.b[0] = 0xfe, a.b[1] = 0x80;
  a.b[8] = m.b[0] ^ 2, a.b[9] = m.b[1], a.b[10] = m.b[2], a.b[11] = 0xff, a.b[12] = 0xfe;
  a.b[13] = m.b[3], a.b[14] = m.b[4], a.b[15] = m.b[5];
  return a;
}
inline Ipv6 multicast(uint8_t last, uint8_t group = 0) {
  Ipv6 a;
  a.b[0] = 0xff, a.b[1] = 0x02, a.b[13] = group, a.b[15] = last;
  return a;
}

inline Bytes router_solicitation(Mac m) {
  Bytes icmp{133, 0, 0, 0, 0, 0, 0, 0, 1, 1};
  icmp.insert(icmp.end(), m.b.begin(), m.b.end());
  return ethernet(mac("33:33:00:00:00:02"), m, 0x86dd, ipv6(link_local(m), multicast(2), 58, icmp));
}

inline Bytes dhcpv6_solicit(Mac m, uint32_t xid) {
  Bytes d{1, static_cast<uint8_t>(xid >> 16), static_cast<uint8_t>(xid >> 8), static_cast<uint8_t>(xid)};
  Bytes cid{0, 1, 0, 10, 0, 3, 0, 1};
  cid.insert(cid.end(), m.b.begin(), m.b.end());
  append(d, cid);
  append(d, Bytes{0, 8, 0, 2, 0, 0});
  return ethernet(mac("33:33:00:01:00:02"), m, 0x86dd, ipv6(link_local(m), multicast(2, 1), 17, udp(546, 547, d)));
}

}  // namespace vmc::report::testing
