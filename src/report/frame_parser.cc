#include "report/frame_parser.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <tins/arp.h>
#include <tins/dhcp.h>
#include <tins/dhcpv6.h>
#include <tins/dot1q.h>
#include <tins/ethernetII.h>
#include <tins/exceptions.h>
#include <tins/icmpv6.h>
#include <tins/ip.h>
#include <tins/ipv6.h>
#include <tins/udp.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <exception>
#include <string_view>

#include "util/untrusted_text.h"

namespace vmc::report {
namespace {

using Bytes = std::span<const uint8_t>;

constexpr uint16_t kIPv4 = 0x0800, kArp = 0x0806, kRarp = 0x8035, kIPv6 = 0x86dd;
constexpr uint16_t kVlan = 0x8100, kQinQ = 0x88a8;
constexpr size_t kMaxText = 255;

uint16_t be16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
uint32_t be32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) << 24 | static_cast<uint32_t>(p[1]) << 16 | static_cast<uint32_t>(p[2]) << 8 | p[3];
}

Mac mac_of(const Tins::HWAddress<6>& a) {
  Mac m;
  std::copy(a.begin(), a.end(), m.b.begin());
  return m;
}
Ipv4 ip_of(Tins::IPv4Address a) { return Ipv4{ntohl(static_cast<uint32_t>(a))}; }
Ipv6 ip6_of(const Tins::IPv6Address& a) {
  Ipv6 v;
  std::copy(a.begin(), a.end(), v.b.begin());
  return v;
}

/// Text from the wire up to its first NUL, printable and bounded.
std::string text(const uint8_t* p, size_t n) {
  const auto* end = std::find(p, p + n, uint8_t{0});
  return util::untrusted_text(std::string_view(reinterpret_cast<const char*>(p), static_cast<size_t>(end - p)), kMaxText);
}

/// Reads one frame into an event. `layer_` names what is being read when libtins
/// throws, so the problem says where.
class Parser {
 public:
  Parser(BootEvent& e, bool cut) : e_(e), cut_(cut) {}

  void ethernet(Bytes f) {
    if (f.size() < 14) return short_of("Ethernet", f.size(), 14);
    layer_ = "Ethernet";
    const Tins::EthernetII eth(f.data(), 14);  // the header only: each payload is read below
    e_.dst_mac = mac_of(eth.dst_addr());
    e_.src_mac = mac_of(eth.src_addr());
    uint16_t type = eth.payload_type();
    size_t off = 14;
    for (int tags = 0; (type == kVlan || type == kQinQ) && tags < 2; ++tags) {
      if (f.size() < off + 4) return short_of("802.1Q", f.size() - off, 4);
      layer_ = "802.1Q";
      const Tins::Dot1Q tag(f.data() + off, 4);
      if (!e_.vlan) e_.vlan = static_cast<uint16_t>(tag.id());
      type = tag.payload_type();
      off += 4;
    }
    e_.ethertype = type;
    const Bytes payload = f.subspan(off);
    switch (type) {
      case kArp:
      case kRarp: return arp(payload, type == kRarp);
      case kIPv4: return ipv4(payload);
      case kIPv6: return ipv6(payload);
      default: e_.kind = EventKind::Other;
    }
  }

  const char* layer() const { return layer_; }

 private:
  /// A header that does not fit: a snaplen cut when the frame was longer on the wire,
  /// else a malformed frame.
  void short_of(const char* layer, size_t have, size_t need) {
    const bool cut = cut_ || e_.truncated;
    e_.truncated = cut;
    e_.problem = fmt::format("{}: {} bytes, shorter than its {}-byte header", layer, have, need);
    if (!cut) e_.kind = EventKind::Malformed;
    else if (e_.kind != EventKind::Ip) e_.kind = EventKind::Other;
  }

  void malformed(std::string why) {
    e_.kind = EventKind::Malformed;
    e_.detail = std::monostate{};
    e_.problem = std::move(why);
  }

  void arp(Bytes p, bool rarp) {
    if (p.size() < 28) return short_of(rarp ? "RARP" : "ARP", p.size(), 28);
    // libtins reads the Ethernet/IPv4 layout whatever the header says: check it first.
    if (be16(p.data()) != 1 || be16(p.data() + 2) != kIPv4 || p[4] != 6 || p[5] != 4) {
      return malformed(fmt::format("ARP: hardware type {} / protocol 0x{:04x} / lengths {}, {}: not Ethernet/IPv4",
                                   be16(p.data()), be16(p.data() + 2), p[4], p[5]));
    }
    layer_ = "ARP";
    const Tins::ARP a(p.data(), 28);
    ArpInfo info;
    info.op = a.opcode();
    info.sender_mac = mac_of(a.sender_hw_addr());
    info.target_mac = mac_of(a.target_hw_addr());
    info.sender_ip = ip_of(a.sender_ip_addr());
    info.target_ip = ip_of(a.target_ip_addr());
    if (rarp) {
      info.kind = ArpKind::Rarp;
    } else if (info.op == 1) {
      info.kind = info.sender_ip.zero() ? ArpKind::Probe
                  : info.sender_ip == info.target_ip ? ArpKind::Announcement
                                                     : ArpKind::Request;
    } else if (info.op == 2) {
      info.kind = info.sender_ip == info.target_ip ? ArpKind::GratuitousReply : ArpKind::Reply;
    }
    e_.kind = EventKind::Arp;
    e_.detail = info;
  }

  void ipv4(Bytes p) {
    if (p.size() < 20) return short_of("IPv4", p.size(), 20);
    if (p[0] >> 4 != 4) return malformed(fmt::format("IPv4: version {}", p[0] >> 4));
    const size_t ihl = (p[0] & 0x0fu) * 4u;
    if (ihl < 20) return malformed(fmt::format("IPv4: header length {}", ihl));
    if (p.size() < ihl) return short_of("IPv4", p.size(), ihl);
    // libtins 4.0 miscounts IPv4 options and can crash on them (libtins issue 288, fixed
    // in 4.1): it reads the fixed 20 bytes, and the options are skipped by their length.
    std::array<uint8_t, 20> fixed;
    std::memcpy(fixed.data(), p.data(), fixed.size());
    fixed[0] = 0x45;
    layer_ = "IPv4";
    const Tins::IP ip(fixed.data(), static_cast<uint32_t>(fixed.size()));
    e_.kind = EventKind::Ip;
    e_.src_ip4 = ip_of(ip.src_addr());
    e_.dst_ip4 = ip_of(ip.dst_addr());
    e_.ip_proto = ip.protocol();
    size_t end = ip.tot_len();
    if (end == 0) end = p.size();  // segmentation offload leaves it 0
    if (end < ihl) return malformed(fmt::format("IPv4: total length {} shorter than its {}-byte header", end, ihl));
    if (end > p.size()) {
      e_.truncated = true;
      end = p.size();
    }
    if (ip.fragment_offset() != 0) {
      e_.problem = "IPv4: a later fragment";
      return;
    }
    if (ip.flags() & Tins::IP::MORE_FRAGMENTS) e_.truncated = true;  // the first fragment: the rest is elsewhere
    if (e_.ip_proto == 17) udp(p.subspan(ihl, end - ihl), false);
  }

  void ipv6(Bytes p) {
    if (p.size() < 40) return short_of("IPv6", p.size(), 40);
    if (p[0] >> 4 != 6) return malformed(fmt::format("IPv6: version {}", p[0] >> 4));
    layer_ = "IPv6";
    const Tins::IPv6 ip(p.data(), 40);  // the fixed header: its payload is read below
    e_.kind = EventKind::Ip;
    e_.src_ip6 = ip6_of(ip.src_addr());
    e_.dst_ip6 = ip6_of(ip.dst_addr());
    e_.ip_proto = ip.next_header();
    size_t end = 40 + size_t{ip.payload_length()};
    if (end > p.size()) {
      e_.truncated = true;
      end = p.size();
    }
    const Bytes body = p.subspan(40, end - 40);
    if (e_.ip_proto == 17) return udp(body, true);
    if (e_.ip_proto != 58) return;  // extension headers and the rest: plain IPv6 traffic
    if (body.size() < 8) return short_of("ICMPv6", body.size(), 8);
    layer_ = "ICMPv6";
    const Tins::ICMPv6 icmp(body.data(), static_cast<uint32_t>(body.size()));
    e_.kind = EventKind::Icmpv6;
    e_.detail = Icmpv6Info{static_cast<uint8_t>(icmp.type()), icmp.code()};
  }

  void udp(Bytes p, bool v6) {
    if (p.size() < 8) return short_of("UDP", p.size(), 8);
    layer_ = "UDP";
    const Tins::UDP u(p.data(), 8);
    e_.src_port = u.sport();
    e_.dst_port = u.dport();
    size_t end = u.length();
    if (end < 8) return malformed(fmt::format("UDP: length {}", end));
    if (end > p.size()) {
      e_.truncated = true;
      end = p.size();
    }
    const Bytes data = p.subspan(8, end - 8);
    const uint16_t s = e_.src_port, d = e_.dst_port;
    if (!v6 && (s == 67 || s == 68) && (d == 67 || d == 68)) return dhcp(data);
    if (v6 && (d == 547 || d == 546)) return dhcpv6(data);
    tftp(data);
  }

  void dhcp(Bytes p) {
    layer_ = "DHCP";
    try {
      const Tins::DHCP d(p.data(), static_cast<uint32_t>(p.size()));
      e_.kind = EventKind::Dhcp;
      e_.detail = from_tins(d);
    } catch (const Tins::malformed_packet&) {
      salvage_dhcp(p);
    }
  }

  static DhcpInfo from_tins(const Tins::DHCP& d) {
    DhcpInfo info;
    info.op = d.opcode();
    info.xid = d.xid();
    info.secs = d.secs();
    const auto ch = d.chaddr();
    std::copy(ch.begin(), ch.begin() + 6, info.client_mac.b.begin());
    info.ciaddr = ip_of(d.ciaddr());
    info.yiaddr = ip_of(d.yiaddr());
    info.siaddr = ip_of(d.siaddr());
    info.giaddr = ip_of(d.giaddr());
    auto opt = [&](int code) { return d.search_option(static_cast<Tins::DHCP::OptionTypes>(code)); };
    auto ip_opt = [&](int code) -> std::optional<Ipv4> {
      const auto* o = opt(code);
      if (!o || o->data_size() != 4) return std::nullopt;
      return Ipv4{be32(o->data_ptr())};
    };
    auto text_opt = [&](int code) -> std::string {
      const auto* o = opt(code);
      return o ? text(o->data_ptr(), o->data_size()) : std::string();
    };
    if (const auto* t = opt(53); t && t->data_size() == 1 && t->data_ptr()[0] >= 1 && t->data_ptr()[0] <= 8) {
      info.type = static_cast<DhcpType>(t->data_ptr()[0]);
    }
    info.server_id = ip_opt(54);
    info.requested_ip = ip_opt(50);
    if (const auto* l = opt(51); l && l->data_size() == 4) info.lease_s = be32(l->data_ptr());
    info.hostname = text_opt(12);
    info.message = text_opt(56);
    info.vendor_class = text_opt(60);
    info.tftp_server = text_opt(66);
    if (info.tftp_server.empty()) info.tftp_server = text(d.sname(), 64);
    info.boot_file = text_opt(67);
    if (info.boot_file.empty()) info.boot_file = text(d.file(), 128);
    return info;
  }

  /// What the fixed BOOTP header (and a leading option 53) of a DHCP message libtins
  /// refused says: a frame cut by the snaplen, or options that do not add up.
  void salvage_dhcp(Bytes p) {
    const bool cookie = p.size() >= 240 && be32(p.data() + 236) == 0x63825363;
    if (p.size() < 8 || (p[0] != 1 && p[0] != 2) || (p.size() >= 240 && !cookie)) {
      if (cut_ || e_.truncated) {
        e_.truncated = true;
        e_.problem = fmt::format("DHCP: cut after {} bytes", p.size());
        return;  // plain IP traffic as far as anyone can tell
      }
      return malformed(fmt::format("DHCP: {} bytes that are not a BOOTP message", p.size()));
    }
    DhcpInfo info;
    info.options_complete = false;
    info.op = p[0];
    info.xid = be32(p.data() + 4);
    if (p.size() >= 10) info.secs = be16(p.data() + 8);
    if (p.size() >= 16) info.ciaddr = Ipv4{be32(p.data() + 12)};
    if (p.size() >= 20) info.yiaddr = Ipv4{be32(p.data() + 16)};
    if (p.size() >= 24) info.siaddr = Ipv4{be32(p.data() + 20)};
    if (p.size() >= 28) info.giaddr = Ipv4{be32(p.data() + 24)};
    if (p.size() >= 34) std::copy(p.begin() + 28, p.begin() + 34, info.client_mac.b.begin());
    if (p.size() >= 243 && p[240] == 53 && p[241] == 1 && p[242] >= 1 && p[242] <= 8) {
      info.type = static_cast<DhcpType>(p[242]);
    }
    e_.kind = EventKind::Dhcp;
    e_.detail = info;
    const bool cut = cut_ || e_.truncated;
    e_.truncated = cut;
    e_.problem = cut ? fmt::format("DHCP: cut after {} bytes; options unknown", p.size())
                     : fmt::format("DHCP: options of {} bytes that do not add up; options unknown", p.size());
  }

  void dhcpv6(Bytes p) {
    if (p.size() < 4) return short_of("DHCPv6", p.size(), 4);
    layer_ = "DHCPv6";
    const Tins::DHCPv6 d(p.data(), static_cast<uint32_t>(p.size()));
    Dhcpv6Info info;
    info.msg_type = static_cast<uint8_t>(d.msg_type());
    info.xid = static_cast<uint32_t>(d.transaction_id());
    if (const auto* o = d.search_option(Tins::DHCPv6::CLIENTID); o && o->data_size() >= 2) {
      const uint8_t* q = o->data_ptr();
      const size_t n = o->data_size();
      const uint16_t duid = be16(q);
      // DUID-LL: type 3, hardware type 1 (Ethernet), the MAC; DUID-LLT: type 1, hardware
      // type, time (4 bytes), the MAC (RFC 8415 11.2, 11.4).
      if (duid == 3 && n == 10 && be16(q + 2) == 1) info.client_mac = Mac{{q[4], q[5], q[6], q[7], q[8], q[9]}};
      if (duid == 1 && n == 14 && be16(q + 2) == 1) info.client_mac = Mac{{q[8], q[9], q[10], q[11], q[12], q[13]}};
    }
    e_.kind = EventKind::Dhcpv6;
    e_.detail = info;
  }

  /// TFTP (RFC 1350 5): RRQ/WRQ to port 69; DATA, ACK, ERROR and OACK (RFC 2347)
  /// between two transfer IDs, which are ports above 1023 in practice (or 69 itself
  /// for a server that answers from it).
  void tftp(Bytes p) {
    if (p.size() < 4) return;
    const uint16_t op = be16(p.data());
    const auto tid = [](uint16_t port) { return port >= 1024 || port == 69; };
    const bool transfer = tid(e_.src_port) && tid(e_.dst_port);
    TftpInfo t;
    switch (op) {
      case 1:
      case 2: {
        if (e_.dst_port != 69) return;
        const uint8_t* end = p.data() + p.size();
        const uint8_t* nul1 = std::find(p.data() + 2, end, uint8_t{0});
        if (nul1 == end) return;
        const uint8_t* nul2 = std::find(nul1 + 1, end, uint8_t{0});
        if (nul2 == end && !e_.truncated) return;
        t.op = static_cast<TftpOp>(op);
        t.file = text(p.data() + 2, static_cast<size_t>(nul1 - p.data() - 2));
        t.mode = text(nul1 + 1, static_cast<size_t>(nul2 - nul1 - 1));
        break;
      }
      case 3:
        if (!transfer || p.size() > 4 + 65464) return;  // RFC 2348's largest block
        t.op = TftpOp::Data;
        t.block = be16(p.data() + 2);
        t.data_len = static_cast<uint32_t>(p.size() - 4);
        break;
      case 4:
        if (!transfer || p.size() != 4) return;
        t.op = TftpOp::Ack;
        t.block = be16(p.data() + 2);
        break;
      case 5:
        if (!transfer || be16(p.data() + 2) > 8 || (p.back() != 0 && !e_.truncated)) return;
        t.op = TftpOp::Error;
        t.error_code = be16(p.data() + 2);
        t.error_message = text(p.data() + 4, p.size() - 4);
        break;
      case 6:
        if (!transfer || p.back() != 0) return;
        t.op = TftpOp::Oack;
        break;
      default:
        return;
    }
    e_.kind = EventKind::Tftp;
    e_.detail = std::move(t);
  }

  BootEvent& e_;
  const bool cut_;
  const char* layer_ = "Ethernet";
};

}  // namespace

BootEvent parse_boot_frame(std::span<const uint8_t> frame, int64_t ts_ns, uint32_t orig_len) {
  BootEvent e;
  e.ts_ns = ts_ns;
  Parser p(e, orig_len > frame.size());
  try {
    p.ethernet(frame);
  } catch (const std::exception& ex) {  // libtins' malformed_packet and the like
    const bool kept_l3 = e.src_ip4 || e.src_ip6;
    const bool cut = orig_len > frame.size() || e.truncated;
    e.detail = std::monostate{};
    e.problem = fmt::format("{}: {}", p.layer(), util::untrusted_text(ex.what(), 200));
    if (cut) {
      e.truncated = true;
      e.kind = kept_l3 ? EventKind::Ip : EventKind::Other;
    } else {
      e.kind = EventKind::Malformed;
    }
  }
  return e;
}

}  // namespace vmc::report
