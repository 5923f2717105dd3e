// Frame bytes + time -> a typed boot-network event. The protocols are read with
// libtins (Debian's libtins 4.0): Ethernet, 802.1Q, ARP, IPv4, IPv6, UDP, DHCP, DHCPv6,
// ICMPv6; TFTP, which libtins lacks, is read here (RFC 1350's five packet shapes).
//
// Every frame is untrusted (a VM's traffic, a pcapng from anyone): any byte string is
// an event, never a crash. A frame too short for a header it announces is `truncated`
// (a snaplen cut) and keeps what the captured part holds; anything else that cannot be
// read is EventKind::Malformed with the layer and the reason in `problem`.
#pragma once

#include <cstdint>
#include <span>

#include "report/boot_event.h"

namespace vmc::report {

/// `frame` starts at the Ethernet header; `orig_len` is the frame's length on the wire
/// (0: the same as frame.size()).
BootEvent parse_boot_frame(std::span<const uint8_t> frame, int64_t ts_ns, uint32_t orig_len = 0);

}  // namespace vmc::report
