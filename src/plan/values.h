// Parsers of the values plans and `capture vm` flags share (durations, sizes, MACs,
// filter values ...). Pure functions on text: both input paths call these, so a value
// accepted on the command line is accepted in a plan and means the same thing.
// Errors carry the code "plan.bad-value" and a message that quotes the input and says
// what is expected; callers prefix the location.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "model/session_spec.h"
#include "util/result.h"

namespace vmc::plan {

/// "30s", "5m", "1h30m", "500ms", "2d": integers with units d, h, m, s, ms, largest first,
/// each unit at most once. Must be > 0.
Result<std::chrono::milliseconds> parse_duration(std::string_view text);
/// "1h30m", "250ms": the shortest form parse_duration reads back.
std::string format_duration(std::chrono::milliseconds d);

/// "500MB", "2GiB", "1.5GB", "4096" (bytes): B, kB/KB, MB, GB, TB (powers of 1000) and
/// KiB, MiB, GiB, TiB (powers of 1024); units are case-insensitive. Must be > 0.
Result<uint64_t> parse_size(std::string_view text);
/// "500MB", "2GiB", "1234B".
std::string format_size(uint64_t bytes);

/// A decimal integer in [min, max]; `what` names the value in the message ("packets").
Result<int64_t> parse_int(std::string_view text, int64_t min, int64_t max, std::string_view what);

/// "00:50:56:AA:bb:cc" or "00-50-56-aa-bb-cc" -> "00:50:56:aa:bb:cc".
Result<std::string> parse_mac(std::string_view text);
bool looks_like_mac(std::string_view text);

/// Dotted-quad IPv4 ("10.0.0.1"); with `allow_prefix`, also "10.0.0.0/24".
Result<std::string> parse_ipv4(std::string_view text, bool allow_prefix);

Result<int> parse_port(std::string_view text);     // 1..65535
Result<int> parse_vlan(std::string_view text);     // 0..4095
Result<int> parse_proto(std::string_view text);    // 0..255, 0xNN, tcp/udp/icmp
Result<int> parse_ethtype(std::string_view text);  // 0x0600..0xffff, arp/ipv4/ipv6/vlan

Result<model::Direction> parse_direction(std::string_view text);  // in, out, both
/// true/false, on/off, yes/no.
Result<bool> parse_bool(std::string_view text);
/// "manual", "partiallyAutomated", "fullyAutomated", or "none" (-> DrsPolicy{enabled=false}).
Result<model::DrsPolicy> parse_drs(std::string_view text);
Result<int> parse_stage(std::string_view text);     // pre/0, post/1
Result<int> parse_snaplen(std::string_view text);   // 0 (whole frame) or 24..65535
Result<int> parse_ring(std::string_view text);      // 1..100000
Result<int> parse_boots(std::string_view text);     // 1..1000
/// A pktcap-uw capture point name such as "VnicRx" or "PortOutput": letters and digits.
Result<std::string> parse_capture_point(std::string_view text);
/// A pcap filter expression for --rcf: non-empty, printable, at most 1024 characters.
Result<std::string> parse_rcf(std::string_view text);
/// An ESXi uplink name: "vmnic0", "vusb1".
Result<std::string> parse_uplink_name(std::string_view text);

}  // namespace vmc::plan
