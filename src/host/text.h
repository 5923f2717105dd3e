// Small helpers shared by the host-output parsers. All take untrusted text.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/utf8.h"

namespace vmc::host {

/// Splits on '\n', dropping one trailing '\r' per line (CRLF output) and the empty
/// piece after a final newline.
std::vector<std::string_view> split_lines(std::string_view text);

/// Strips spaces, tabs, CR and LF at both ends.
std::string_view trim(std::string_view s);

/// Splits on runs of spaces and tabs.
std::vector<std::string_view> split_ws(std::string_view s);

/// Decimal integer with optional leading '-'; the whole of `s` must be the number.
std::optional<int64_t> parse_int(std::string_view s);

/// "0x0400002e" or "0X0400002E" (hex digits after the prefix); the whole of `s`.
std::optional<int64_t> parse_hex(std::string_view s);

/// Lower case with spaces, '_' and '-' removed: "MAC Address" and "MACAddress" both
/// become "macaddress". Used to match field names across esxcli formatters.
std::string field_key(std::string_view name);

/// Quotes a piece of untrusted text for an error message: at most 80 bytes, control
/// bytes and bytes that are not UTF-8 shown as '?' (so the message is always valid
/// UTF-8, and a cut never splits a character).
std::string excerpt(std::string_view s);

/// Length of the valid UTF-8 sequence at s[i] (1..4), 0 when it is not one.
using util::utf8_sequence_length;

/// Offset of the first byte that is not part of valid UTF-8, or npos.
size_t first_invalid_utf8(std::string_view s);

}  // namespace vmc::host
