// One frame of a VM's boot as the boot report sees it: a typed boot-network event
// (DHCP, ARP, TFTP, DHCPv6, ICMPv6) made from the frame's bytes and time by
// parse_boot_frame (frame_parser.h). Plain data, no packet library types.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace vmc::report {

struct Mac {
  std::array<uint8_t, 6> b{};
  friend auto operator<=>(const Mac&, const Mac&) = default;
  /// "00:50:56:aa:bb:cc".
  std::string str() const;
  bool broadcast() const { return b == std::array<uint8_t, 6>{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}; }
  /// "00:50:56:AA:bb:cc" or "00-50-..."; std::nullopt if it is not a MAC.
  static std::optional<Mac> parse(std::string_view text);
};

/// An IPv4 address, host byte order (10.0.0.1 is 0x0a000001).
struct Ipv4 {
  uint32_t v = 0;
  friend auto operator<=>(const Ipv4&, const Ipv4&) = default;
  bool zero() const { return v == 0; }
  std::string str() const;
};

struct Ipv6 {
  std::array<uint8_t, 16> b{};
  friend auto operator<=>(const Ipv6&, const Ipv6&) = default;
  std::string str() const;
};

/// DHCP message types (option 53, RFC 2132 9.6); None when the option is missing.
enum class DhcpType : uint8_t { None = 0, Discover, Offer, Request, Decline, Ack, Nak, Release, Inform };
const char* to_string(DhcpType t);  // "DISCOVER", ...; "BOOTP" for None

struct DhcpInfo {
  uint8_t op = 0;  // 1 BOOTREQUEST (client), 2 BOOTREPLY (server)
  DhcpType type = DhcpType::None;
  uint32_t xid = 0;
  uint16_t secs = 0;
  Mac client_mac;  // chaddr (Ethernet)
  Ipv4 ciaddr, yiaddr, siaddr, giaddr;
  std::optional<Ipv4> server_id;     // option 54
  std::optional<Ipv4> requested_ip;  // option 50
  std::optional<uint32_t> lease_s;   // option 51
  // Text options, made printable (util::untrusted_text); empty when absent.
  std::string hostname;      // 12
  std::string message;       // 56
  std::string vendor_class;  // 60 ("PXEClient:Arch:00000:UNDI:002001")
  std::string tftp_server;   // 66, else the sname field
  std::string boot_file;     // 67, else the file field
  /// False when the frame was cut before the options ended: what is set was read from
  /// the fixed header (and a leading option 53), the rest is unknown.
  bool options_complete = true;
  bool from_client() const { return op == 1; }
};

enum class ArpKind : uint8_t {
  Probe,            // request with sender IP 0.0.0.0 (RFC 5227 2.1.1)
  Announcement,     // request with sender IP = target IP (RFC 5227 2.3, "gratuitous ARP")
  Request,
  Reply,
  GratuitousReply,  // reply with sender IP = target IP
  Rarp,             // reverse ARP (ESXi sends one per NIC after a vMotion)
  Other,            // another opcode
};
const char* to_string(ArpKind k);

struct ArpInfo {
  ArpKind kind = ArpKind::Other;
  uint16_t op = 0;
  Mac sender_mac, target_mac;
  Ipv4 sender_ip, target_ip;
};

enum class TftpOp : uint8_t { Rrq = 1, Wrq = 2, Data = 3, Ack = 4, Error = 5, Oack = 6 };
const char* to_string(TftpOp op);

/// TFTP (RFC 1350). A read request is known by port 69; DATA, ACK and ERROR travel
/// between two other ports (the TIDs), so any UDP datagram shaped like one is parsed as
/// a candidate: the analysis believes it only when it answers a read request of the VM.
struct TftpInfo {
  TftpOp op = TftpOp::Rrq;
  std::string file;  // RRQ/WRQ, printable
  std::string mode;  // RRQ/WRQ ("octet")
  uint16_t block = 0;
  uint32_t data_len = 0;  // DATA: bytes of data in the datagram
  uint16_t error_code = 0;
  std::string error_message;  // ERROR, printable
};

struct Dhcpv6Info {
  uint8_t msg_type = 0;  // 1 SOLICIT, 2 ADVERTISE, 3 REQUEST, 7 REPLY, ... (RFC 8415 7.3)
  uint32_t xid = 0;      // 24 bits
  std::optional<Mac> client_mac;  // from a DUID-LL or DUID-LLT client identifier
};
const char* dhcpv6_type_name(uint8_t msg_type);

struct Icmpv6Info {
  uint8_t type = 0;  // 133 router solicitation, 134 advertisement, 135/136 neighbour
  uint8_t code = 0;
};

enum class EventKind : uint8_t {
  Dhcp,
  Arp,
  Tftp,
  Dhcpv6,
  Icmpv6,
  Ip,         // other IPv4/IPv6 traffic
  Other,      // another EtherType
  Malformed,  // could not be read: see `problem`
};
const char* to_string(EventKind k);

struct BootEvent {
  int64_t ts_ns = 0;
  EventKind kind = EventKind::Other;
  Mac src_mac, dst_mac;
  uint16_t ethertype = 0;  // after any 802.1Q tags
  std::optional<uint16_t> vlan;
  std::optional<Ipv4> src_ip4, dst_ip4;
  std::optional<Ipv6> src_ip6, dst_ip6;
  uint8_t ip_proto = 0;
  uint16_t src_port = 0, dst_port = 0;  // UDP
  /// The capture holds less than the headers announce (a snaplen cut).
  bool truncated = false;
  /// Malformed, or a salvaged cut frame: which layer, and what was wrong.
  std::string problem;
  std::variant<std::monostate, DhcpInfo, ArpInfo, TftpInfo, Dhcpv6Info, Icmpv6Info> detail;

  const DhcpInfo* dhcp() const { return std::get_if<DhcpInfo>(&detail); }
  const ArpInfo* arp() const { return std::get_if<ArpInfo>(&detail); }
  const TftpInfo* tftp() const { return std::get_if<TftpInfo>(&detail); }
  const Dhcpv6Info* dhcpv6() const { return std::get_if<Dhcpv6Info>(&detail); }
  const Icmpv6Info* icmpv6() const { return std::get_if<Icmpv6Info>(&detail); }
};

/// One line for logs and tests: "DHCP DISCOVER xid 0x1a2b3c4d 00:50:56:aa:00:01", ...
std::string describe(const BootEvent& e);

}  // namespace vmc::report
