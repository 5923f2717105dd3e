#include "report/boot_event.h"

#include <fmt/format.h>

namespace vmc::report {

std::string Mac::str() const {
  return fmt::format("{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", b[0], b[1], b[2], b[3], b[4], b[5]);
}

std::optional<Mac> Mac::parse(std::string_view text) {
  if (text.size() != 17) return std::nullopt;
  Mac m;
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  const char sep = text[2];
  if (sep != ':' && sep != '-') return std::nullopt;
  for (size_t i = 0; i < 6; ++i) {
    const int hi = hex(text[i * 3]), lo = hex(text[i * 3 + 1]);
    if (hi < 0 || lo < 0 || (i < 5 && text[i * 3 + 2] != sep)) return std::nullopt;
    m.b[i] = static_cast<uint8_t>(hi * 16 + lo);
  }
  return m;
}

std::string Ipv4::str() const {
  return fmt::format("{}.{}.{}.{}", v >> 24, (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff);
}

std::string Ipv6::str() const {
  // RFC 5952: lower case, the longest run (two or more) of zero groups as "::".
  uint16_t g[8];
  for (int i = 0; i < 8; ++i) g[i] = static_cast<uint16_t>(b[2 * i] << 8 | b[2 * i + 1]);
  int best = -1, best_len = 1;
  for (int i = 0; i < 8;) {
    if (g[i] != 0) {
      ++i;
      continue;
    }
    int j = i;
    while (j < 8 && g[j] == 0) ++j;
    if (j - i > best_len) best = i, best_len = j - i;
    i = j;
  }
  std::string out;
  for (int i = 0; i < 8; ++i) {
    if (i == best) {
      out += "::";
      i += best_len - 1;
      continue;
    }
    if (!out.empty() && out.back() != ':') out += ':';
    out += fmt::format("{:x}", g[i]);
  }
  return out;
}

const char* to_string(DhcpType t) {
  switch (t) {
    case DhcpType::None: return "BOOTP";
    case DhcpType::Discover: return "DISCOVER";
    case DhcpType::Offer: return "OFFER";
    case DhcpType::Request: return "REQUEST";
    case DhcpType::Decline: return "DECLINE";
    case DhcpType::Ack: return "ACK";
    case DhcpType::Nak: return "NAK";
    case DhcpType::Release: return "RELEASE";
    case DhcpType::Inform: return "INFORM";
  }
  return "UNKNOWN";
}

const char* to_string(ArpKind k) {
  switch (k) {
    case ArpKind::Probe: return "probe";
    case ArpKind::Announcement: return "announcement";
    case ArpKind::Request: return "request";
    case ArpKind::Reply: return "reply";
    case ArpKind::GratuitousReply: return "gratuitous reply";
    case ArpKind::Rarp: return "RARP";
    case ArpKind::Other: return "other";
  }
  return "other";
}

const char* to_string(TftpOp op) {
  switch (op) {
    case TftpOp::Rrq: return "RRQ";
    case TftpOp::Wrq: return "WRQ";
    case TftpOp::Data: return "DATA";
    case TftpOp::Ack: return "ACK";
    case TftpOp::Error: return "ERROR";
    case TftpOp::Oack: return "OACK";
  }
  return "?";
}

const char* dhcpv6_type_name(uint8_t t) {
  static const char* const names[] = {"?", "SOLICIT", "ADVERTISE", "REQUEST", "CONFIRM", "RENEW", "REBIND",
                                      "REPLY", "RELEASE", "DECLINE", "RECONFIGURE", "INFORMATION-REQUEST",
                                      "RELAY-FORW", "RELAY-REPL"};
  return t < std::size(names) ? names[t] : "?";
}

const char* to_string(EventKind k) {
  switch (k) {
    case EventKind::Dhcp: return "dhcp";
    case EventKind::Arp: return "arp";
    case EventKind::Tftp: return "tftp";
    case EventKind::Dhcpv6: return "dhcpv6";
    case EventKind::Icmpv6: return "icmpv6";
    case EventKind::Ip: return "ip";
    case EventKind::Other: return "other";
    case EventKind::Malformed: return "malformed";
  }
  return "other";
}

std::string describe(const BootEvent& e) {
  std::string s;
  if (const auto* d = e.dhcp()) {
    s = fmt::format("DHCP {} xid 0x{:08x} {}", to_string(d->type), d->xid, d->client_mac.str());
    if (d->server_id) s += " server " + d->server_id->str();
    if (!d->yiaddr.zero()) s += " yiaddr " + d->yiaddr.str();
    if (d->requested_ip) s += " requested " + d->requested_ip->str();
    if (!d->options_complete) s += " (options cut)";
  } else if (const auto* a = e.arp()) {
    s = fmt::format("ARP {} {} {} -> {} {}", to_string(a->kind), a->sender_mac.str(), a->sender_ip.str(),
                    a->target_mac.str(), a->target_ip.str());
  } else if (const auto* t = e.tftp()) {
    s = fmt::format("TFTP {}", to_string(t->op));
    if (!t->file.empty()) s += " " + t->file;
    if (t->op == TftpOp::Data || t->op == TftpOp::Ack) s += fmt::format(" block {}", t->block);
    if (t->op == TftpOp::Error) s += fmt::format(" {} {}", t->error_code, t->error_message);
  } else if (const auto* v6 = e.dhcpv6()) {
    s = fmt::format("DHCPv6 {} xid 0x{:06x}", dhcpv6_type_name(v6->msg_type), v6->xid);
  } else if (const auto* i6 = e.icmpv6()) {
    s = fmt::format("ICMPv6 type {}", i6->type);
  } else {
    s = fmt::format("{} {} -> {} ethertype 0x{:04x}", to_string(e.kind), e.src_mac.str(), e.dst_mac.str(), e.ethertype);
    if (!e.problem.empty()) s += ": " + e.problem;
  }
  return s;
}

}  // namespace vmc::report
