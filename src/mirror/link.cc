#include "mirror/link.h"

#include <fmt/format.h>

namespace vmc::mirror {
namespace {

uint16_t be16(std::span<const uint8_t> b, size_t at) {
  return static_cast<uint16_t>(b[at] << 8 | b[at + 1]);
}

constexpr uint16_t kEtherIpv4 = 0x0800;
constexpr uint16_t kEther8021Q = 0x8100;
constexpr uint16_t kEther8021AD = 0x88A8;

Result<std::span<const uint8_t>> ipv4_after(std::span<const uint8_t> f, size_t type_at, uint16_t type,
                                            std::string_view link) {
  if (type != kEtherIpv4) {
    return Error("mirror.unsupported",
                 fmt::format("{} frame with EtherType {:#06x} at byte offset {}: not IPv4", link, type, type_at));
  }
  return f.subspan(type_at + 2);
}

}  // namespace

Result<std::span<const uint8_t>> ipv4_in_link_frame(int linktype, std::span<const uint8_t> f) {
  switch (linktype) {
    case kLinkRaw:
    case kLinkRawDlt:
    case kLinkIpv4:
      return f;
    case kLinkEthernet: {
      size_t at = 12;  // destination and source MAC addresses
      for (;;) {
        if (f.size() < at + 2) {
          return Error("mirror.truncated", fmt::format("Ethernet header truncated at byte offset 0: need {} "
                                                       "bytes, have {}", at + 2, f.size()));
        }
        const uint16_t type = be16(f, at);
        if (type != kEther8021Q && type != kEther8021AD) return ipv4_after(f, at, type, "Ethernet");
        at += 4;  // a VLAN tag: TPID and TCI
      }
    }
    case kLinkLinuxCooked:
      if (f.size() < 16) {
        return Error("mirror.truncated", fmt::format("Linux cooked header truncated at byte offset 0: need 16 "
                                                     "bytes, have {}", f.size()));
      }
      return ipv4_after(f, 14, be16(f, 14), "Linux cooked");
    case kLinkLinuxCooked2: {
      if (f.size() < 20) {
        return Error("mirror.truncated", fmt::format("Linux cooked v2 header truncated at byte offset 0: need "
                                                     "20 bytes, have {}", f.size()));
      }
      auto ip = ipv4_after(f, 0, be16(f, 0), "Linux cooked v2");
      if (!ip) return ip.error();
      return f.subspan(20);
    }
    default:
      return Error("mirror.unsupported",
                   fmt::format("link type {}: a collector reads Ethernet (1), Linux cooked (113, 276) or raw "
                               "IP (12, 101, 228)", linktype));
  }
}

}  // namespace vmc::mirror
