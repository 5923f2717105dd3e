// Decapsulation of mirrored traffic (VDS port mirroring, "Encapsulated Remote
// Mirroring (L3) Source" sessions): one IPv4 packet carrying GRE with a transparent
// Ethernet bridging payload (0x6558), ERSPAN type I/II (0x88BE) or type III (0x22EB)
// becomes the original frame plus what the encapsulation says about it: the sending
// host (outer source address), the GRE sequence number, the ERSPAN session, the
// direction and the timestamp. Pure code on untrusted bytes: every length is checked
// and a packet that is short or malformed is an Error saying at which byte offset what
// was wrong. Formats: RFC 2784/2890 (GRE), draft-foschiano-erspan-03 (ERSPAN).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "util/result.h"

namespace vmc::mirror {

/// GRE protocol types of mirrored frames.
inline constexpr uint16_t kGreTransparentEthernet = 0x6558;
inline constexpr uint16_t kGreErspan2 = 0x88BE;  // ERSPAN type I (no S bit) and type II
inline constexpr uint16_t kGreErspan3 = 0x22EB;  // ERSPAN type III

enum class Encapsulation : uint8_t {
  gre,      // GRE 0x6558: the frame right after the GRE header (encapType gre)
  erspan1,  // GRE 0x88BE without a sequence number: no ERSPAN header
  erspan2,  // GRE 0x88BE + ERSPAN type II header (encapType erspan2)
  erspan3,  // GRE 0x22EB + ERSPAN type III header (encapType erspan3)
};
std::string_view to_string(Encapsulation e);

/// Where the mirrored frame was seen, as ERSPAN type III's D bit says: ingress (into
/// the switch port from the VM) or egress (out of it to the VM). Only type III carries
/// it; the others are `unknown`.
enum class Direction : uint8_t { unknown, ingress, egress };
std::string_view to_string(Direction d);

/// ERSPAN type III's 32-bit timestamp, in the unit its Gra field names.
struct ErspanTimestamp {
  uint32_t value = 0;
  /// Gra: 0 = 100 microseconds, 1 = 100 nanoseconds, 2 = IEEE 1588, 3 = user-configurable.
  uint8_t granularity = 0;

  /// Nanoseconds per tick for granularities 0 and 1; std::nullopt for 2 and 3, whose
  /// unit the draft leaves to the platform.
  std::optional<int64_t> tick_ns() const;
};

/// ERSPAN type III's optional platform specific subheader (O bit).
struct PlatformSubheader {
  uint8_t id = 0;     // Platf ID, 6 bits
  uint64_t info = 0;  // Platform Specific Info, 58 bits
};

/// What one mirrored packet carried. `frame` points into the packet given to
/// decapsulate(): valid as long as those bytes are.
struct Decapsulated {
  std::span<const uint8_t> frame;
  uint32_t outer_source = 0;       // IPv4 address, host byte order: the sending host
  uint32_t outer_destination = 0;  // IPv4 address, host byte order: the collector
  uint8_t ttl = 0;
  Encapsulation encapsulation = Encapsulation::gre;
  std::optional<uint32_t> gre_sequence;  // GRE S bit
  std::optional<uint32_t> gre_key;       // GRE K bit

  // ERSPAN type II and III.
  uint16_t session_id = 0;  // 10 bits (the vSphere session's erspanId)
  uint16_t vlan = 0;        // 12 bits
  uint8_t cos = 0;          // 3 bits
  uint8_t en_or_bso = 0;    // type II: En (original VLAN encapsulation); type III: BSO
  bool truncated = false;   // T: the frame was cut to the session's mirrored length
  uint32_t index = 0;       // type II: 20-bit index (port or interface)

  // ERSPAN type III.
  Direction direction = Direction::unknown;
  std::optional<ErspanTimestamp> timestamp;
  uint16_t sgt = 0;         // security group tag
  bool ethernet_pdu = false;  // P bit
  uint8_t frame_type = 0;   // FT: 0 = Ethernet
  uint8_t hardware_id = 0;  // Hw ID, 6 bits
  std::optional<PlatformSubheader> platform;
};

/// Decapsulates one IPv4 packet (starting at its IPv4 header; bytes after the IPv4
/// total length, such as Ethernet padding, are ignored). Errors, with code
/// "mirror.truncated" (the packet ends inside a header or before its IPv4 total length),
/// "mirror.malformed" (a field with a value the formats forbid, a wrong checksum) or
/// "mirror.unsupported" (a valid packet this code does not take: IPv6, an IPv4
/// fragment, GRE routing, a GRE protocol type that is not a mirrored frame, an ERSPAN
/// type III frame type other than Ethernet). The message names the byte offset (from
/// the start of the IPv4 header) and what was there or missing.
Result<Decapsulated> decapsulate(std::span<const uint8_t> ipv4_packet);

/// The absolute time (nanoseconds since the Unix epoch) of an ERSPAN III timestamp:
/// the counter wraps (every 429.5 s at 100 ns, 4.97 days at 100 µs), so of all the
/// times it can stand for, the one nearest `near_ns` (e.g. when the collector received
/// the packet). std::nullopt for granularities without a defined unit (2, 3).
std::optional<int64_t> resolve_timestamp_ns(const ErspanTimestamp& ts, int64_t near_ns);

/// "a.b.c.d" of a host-order IPv4 address.
std::string format_ipv4(uint32_t address);

}  // namespace vmc::mirror
