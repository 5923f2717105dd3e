// Text from outside (a server's fault message, a host's output) made fit to show the
// user in one line of an error message or a log: a hostile or broken server must not
// drive the terminal the message goes to, nor flood it.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace vmc::util {

inline constexpr size_t kMaxUntrustedText = 1000;

/// `s` as one readable line: newlines and tabs become spaces, other control characters
/// (C0, DEL, and the C1 range U+0080..U+009F, which terminals also obey) and bytes that
/// are not UTF-8 become '?'; longer than `max_bytes`, it is cut at a character boundary
/// and ends with "... (N bytes)", N being the original length.
std::string untrusted_text(std::string_view s, size_t max_bytes = kMaxUntrustedText);

}  // namespace vmc::util
