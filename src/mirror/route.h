// Where a collector listens: the local address and interface the kernel's routing table
// uses towards the hosts (their vmkernel addresses). The mirror session's destination
// is that address; the capture runs on that interface.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "util/result.h"

namespace vmc::mirror {

struct CaptureRoute {
  std::string interface;    // e.g. "eth0", "lo"
  uint32_t local_address = 0;  // IPv4, host byte order: the collector address to give the session
};

/// The route towards `host_address` (IPv4, host byte order): asks the kernel which local
/// address a datagram to it would leave from (a connected UDP socket; nothing is sent),
/// then which interface carries that address's network. Errors "mirror.route" say what
/// failed (no route, no interface with that address).
Result<CaptureRoute> route_to(uint32_t host_address);

/// "a.b.c.d" -> host-order address; std::nullopt for anything else.
std::optional<uint32_t> parse_ipv4(std::string_view text);

}  // namespace vmc::mirror
