// The IPv4 packet inside a captured link-layer frame, for the link types a collector's
// libpcap capture gives: Ethernet (with 802.1Q/802.1ad tags), Linux cooked v1 and v2,
// and raw IP. Pure code on untrusted bytes, errors as in decap.h.
#pragma once

#include <cstdint>
#include <span>

#include "util/result.h"

namespace vmc::mirror {

/// libpcap link types (LINKTYPE_* values, as pcap_datalink() reports them on Linux).
inline constexpr int kLinkEthernet = 1;        // DLT_EN10MB
inline constexpr int kLinkRaw = 101;           // LINKTYPE_RAW (DLT_RAW is 12 or 14 elsewhere)
inline constexpr int kLinkRawDlt = 12;         // DLT_RAW as Linux libpcap reports it
inline constexpr int kLinkLinuxCooked = 113;   // DLT_LINUX_SLL
inline constexpr int kLinkLinuxCooked2 = 276;  // DLT_LINUX_SLL2
inline constexpr int kLinkIpv4 = 228;          // DLT_IPV4

/// The bytes of the IPv4 packet in `frame`, a view into it. Errors: "mirror.truncated"
/// (the link header is cut short), "mirror.unsupported" (another link type, or a frame
/// that does not carry IPv4: its EtherType is named).
Result<std::span<const uint8_t>> ipv4_in_link_frame(int linktype, std::span<const uint8_t> frame);

}  // namespace vmc::mirror
