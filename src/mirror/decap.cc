#include "mirror/decap.h"

#include <fmt/format.h>

#include <utility>

namespace vmc::mirror {
namespace {

uint16_t be16(std::span<const uint8_t> b, size_t at) {
  return static_cast<uint16_t>(b[at] << 8 | b[at + 1]);
}

uint32_t be32(std::span<const uint8_t> b, size_t at) {
  return static_cast<uint32_t>(b[at]) << 24 | static_cast<uint32_t>(b[at + 1]) << 16 |
         static_cast<uint32_t>(b[at + 2]) << 8 | b[at + 3];
}

uint64_t be64(std::span<const uint8_t> b, size_t at) {
  return static_cast<uint64_t>(be32(b, at)) << 32 | be32(b, at + 4);
}

/// The Internet checksum (RFC 1071) of b: 0 when b holds a correct checksum field.
uint16_t ones_complement_sum(std::span<const uint8_t> b) {
  uint32_t sum = 0;
  size_t i = 0;
  for (; i + 1 < b.size(); i += 2) sum += be16(b, i);
  if (i < b.size()) sum += static_cast<uint32_t>(b[i]) << 8;
  while (sum > 0xFFFF) sum = (sum & 0xFFFF) + (sum >> 16);
  return static_cast<uint16_t>(~sum & 0xFFFF);
}

Error truncated(std::string_view what, size_t offset, size_t need, size_t have,
                std::string_view why = "") {
  return Error("mirror.truncated",
               fmt::format("{} truncated at byte offset {}: need {} bytes{}, have {}", what, offset,
                           need, why, have));
}

Error malformed(std::string message) { return Error("mirror.malformed", std::move(message)); }
Error unsupported(std::string message) { return Error("mirror.unsupported", std::move(message)); }

constexpr size_t kIpv4MinHeader = 20;
constexpr uint8_t kProtoGre = 47;

// GRE flag bits (RFC 2784 / RFC 1701 / RFC 2890).
constexpr uint16_t kGreC = 0x8000;       // checksum present
constexpr uint16_t kGreR = 0x4000;       // routing present (RFC 1701)
constexpr uint16_t kGreK = 0x2000;       // key present
constexpr uint16_t kGreS = 0x1000;       // sequence number present
constexpr uint16_t kGreStrict = 0x0800;  // strict source route (RFC 1701)
constexpr uint16_t kGreRecur = 0x0700;
constexpr uint16_t kGreVersion = 0x0007;

/// Reads the ERSPAN type II/III header at `at` into d; returns the offset of the frame.
Result<size_t> read_erspan(std::span<const uint8_t> p, size_t at, uint16_t proto, Decapsulated& d) {
  const size_t base = proto == kGreErspan3 ? 12 : 8;
  const std::string_view name = proto == kGreErspan3 ? "ERSPAN type III header" : "ERSPAN type II header";
  if (p.size() - at < base) return truncated(name, at, base, p.size() - at);
  const uint16_t w0 = be16(p, at);
  const uint16_t w1 = be16(p, at + 2);
  const unsigned version = w0 >> 12;
  const unsigned want = proto == kGreErspan3 ? 2 : 1;
  if (version != want) {
    return malformed(fmt::format("{} at byte offset {}: version {} under GRE protocol {:#06x} (want {})",
                                 name, at, version, proto, want));
  }
  d.vlan = static_cast<uint16_t>(w0 & 0x0FFF);
  d.cos = static_cast<uint8_t>(w1 >> 13);
  d.en_or_bso = static_cast<uint8_t>((w1 >> 11) & 3);
  d.truncated = ((w1 >> 10) & 1) != 0;
  d.session_id = static_cast<uint16_t>(w1 & 0x03FF);
  if (proto == kGreErspan2) {
    d.encapsulation = Encapsulation::erspan2;
    d.index = be32(p, at + 4) & 0xFFFFF;
    return at + base;
  }
  d.encapsulation = Encapsulation::erspan3;
  d.timestamp = ErspanTimestamp{be32(p, at + 4), 0};
  d.sgt = be16(p, at + 8);
  const uint16_t w = be16(p, at + 10);
  d.ethernet_pdu = (w >> 15) != 0;
  d.frame_type = static_cast<uint8_t>((w >> 10) & 0x1F);
  d.hardware_id = static_cast<uint8_t>((w >> 4) & 0x3F);
  d.direction = ((w >> 3) & 1) != 0 ? Direction::egress : Direction::ingress;
  d.timestamp->granularity = static_cast<uint8_t>((w >> 1) & 3);
  size_t next = at + base;
  if ((w & 1) != 0) {
    if (p.size() - next < 8) {
      return truncated("ERSPAN type III platform specific subheader", next, 8, p.size() - next,
                       " (the O bit at byte offset " + std::to_string(at + 11) + " is set)");
    }
    const uint64_t v = be64(p, next);
    d.platform = PlatformSubheader{static_cast<uint8_t>(v >> 58), v & ((uint64_t{1} << 58) - 1)};
    next += 8;
  }
  if (d.frame_type != 0) {
    return unsupported(fmt::format("ERSPAN type III frame type {} at byte offset {}: only 0 (Ethernet) "
                                   "is a mirrored Ethernet frame", d.frame_type, at + 10));
  }
  return next;
}

}  // namespace

std::string_view to_string(Encapsulation e) {
  switch (e) {
    case Encapsulation::gre: return "gre";
    case Encapsulation::erspan1: return "erspan1";
    case Encapsulation::erspan2: return "erspan2";
    case Encapsulation::erspan3: return "erspan3";
  }
  return "?";
}

std::string_view to_string(Direction d) {
  switch (d) {
    case Direction::unknown: return "unknown";
    case Direction::ingress: return "ingress";
    case Direction::egress: return "egress";
  }
  return "?";
}

std::optional<int64_t> ErspanTimestamp::tick_ns() const {
  if (granularity == 0) return 100'000;
  if (granularity == 1) return 100;
  return std::nullopt;
}

std::string format_ipv4(uint32_t a) {
  return fmt::format("{}.{}.{}.{}", a >> 24, (a >> 16) & 0xFF, (a >> 8) & 0xFF, a & 0xFF);
}

Result<Decapsulated> decapsulate(std::span<const uint8_t> packet) {
  Decapsulated d;
  if (packet.empty()) return truncated("IPv4 header", 0, kIpv4MinHeader, 0);
  const unsigned version = packet[0] >> 4;
  if (version == 6) {
    return unsupported("IPv6 packet (version 6 at byte offset 0): only IPv4 outer headers are taken");
  }
  if (version != 4) return malformed(fmt::format("IP version {} at byte offset 0 (want 4)", version));
  if (packet.size() < kIpv4MinHeader) return truncated("IPv4 header", 0, kIpv4MinHeader, packet.size());
  const size_t ihl = static_cast<size_t>(packet[0] & 0x0F) * 4;
  if (ihl < kIpv4MinHeader) {
    return malformed(fmt::format("IPv4 header length {} at byte offset 0 is less than 20", ihl));
  }
  if (packet.size() < ihl) {
    return truncated("IPv4 header", 0, ihl, packet.size(), " (header length with options)");
  }
  const size_t total = be16(packet, 2);
  if (total < ihl) {
    return malformed(fmt::format("IPv4 total length {} at byte offset 2 is less than the header length {}",
                                 total, ihl));
  }
  if (total > packet.size()) {
    return truncated("IPv4 packet", 0, total, packet.size(), " (its total length at byte offset 2)");
  }
  const auto p = packet.first(total);  // what follows (link-layer padding) is not ours
  if (const uint16_t bad = ones_complement_sum(p.first(ihl)); bad != 0) {
    return malformed(fmt::format("IPv4 header checksum {:#06x} at byte offset 10 is wrong",
                                 be16(p, 10)));
  }
  const uint16_t frag = be16(p, 6);
  if ((frag & 0x2000) != 0 || (frag & 0x1FFF) != 0) {
    return unsupported(fmt::format(
        "IPv4 fragment at byte offset 6 (offset {} bytes{}): fragments are not reassembled",
        (frag & 0x1FFF) * 8, (frag & 0x2000) != 0 ? ", more fragments" : ""));
  }
  d.ttl = p[8];
  if (p[9] != kProtoGre) {
    return unsupported(fmt::format("IPv4 protocol {} at byte offset 9 is not GRE (47)", p[9]));
  }
  d.outer_source = be32(p, 12);
  d.outer_destination = be32(p, 16);

  size_t at = ihl;
  if (p.size() - at < 4) return truncated("GRE header", at, 4, p.size() - at);
  const uint16_t flags = be16(p, at);
  const uint16_t proto = be16(p, at + 2);
  if ((flags & kGreVersion) != 0) {
    return unsupported(fmt::format("GRE version {} at byte offset {}: only version 0 carries mirrored "
                                   "frames", flags & kGreVersion, at));
  }
  if ((flags & (kGreR | kGreStrict | kGreRecur)) != 0) {
    return unsupported(fmt::format("GRE flags {:#06x} at byte offset {}: source routing (RFC 1701) is not "
                                   "supported", flags, at));
  }
  size_t need = 4;
  std::string fields;
  for (const auto& [bit, field] : {std::pair{kGreC, ", checksum"}, std::pair{kGreK, ", key"},
                                   std::pair{kGreS, ", sequence number"}}) {
    if ((flags & bit) != 0) {
      need += 4;
      fields += field;
    }
  }
  if (p.size() - at < need) {
    return truncated("GRE header", at, need, p.size() - at,
                     fmt::format(" (flags {:#06x}: {})", flags, fields.substr(2)));
  }
  size_t opt = at + 4;
  if ((flags & kGreC) != 0) {
    if (const uint16_t bad = ones_complement_sum(p.subspan(at)); bad != 0) {
      return malformed(fmt::format("GRE checksum {:#06x} at byte offset {} is wrong", be16(p, opt), opt));
    }
    opt += 4;
  }
  if ((flags & kGreK) != 0) {
    d.gre_key = be32(p, opt);
    opt += 4;
  }
  if ((flags & kGreS) != 0) {
    d.gre_sequence = be32(p, opt);
    opt += 4;
  }

  size_t frame_at = opt;
  switch (proto) {
    case kGreTransparentEthernet:
      d.encapsulation = Encapsulation::gre;
      break;
    case kGreErspan2:
      if (!d.gre_sequence) {  // "if the GRE header doesn't have the S bit set, it's type I"
        d.encapsulation = Encapsulation::erspan1;
        break;
      }
      [[fallthrough]];
    case kGreErspan3: {
      auto next = read_erspan(p, opt, proto, d);
      if (!next) return next.error();
      frame_at = *next;
      break;
    }
    default:
      return unsupported(fmt::format("GRE protocol type {:#06x} at byte offset {} is not a mirrored frame "
                                     "(want 0x6558, 0x88be or 0x22eb)", proto, at + 2));
  }
  d.frame = p.subspan(frame_at);
  if (d.frame.empty()) {
    return truncated("mirrored frame", frame_at, 1, 0, " (nothing after the headers)");
  }
  return d;
}

std::optional<int64_t> resolve_timestamp_ns(const ErspanTimestamp& ts, int64_t near_ns) {
  const auto tick = ts.tick_ns();
  if (!tick) return std::nullopt;
  constexpr int64_t kWrap = int64_t{1} << 32;
  const int64_t near_ticks = near_ns / *tick;
  // The candidate k * 2^32 + value nearest near_ticks.
  int64_t base = near_ticks - (near_ticks % kWrap + kWrap) % kWrap;
  int64_t t = base + ts.value;
  if (t - near_ticks > kWrap / 2) t -= kWrap;
  if (near_ticks - t > kWrap / 2) t += kWrap;
  return t * *tick;
}

}  // namespace vmc::mirror
