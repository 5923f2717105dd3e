// UTF-8 checks for text that comes from outside (VM names, host output, server faults):
// what is valid, and a copy that is always valid.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace vmc::util {

/// Length of the valid UTF-8 sequence starting at `s[i]` (1 for ASCII), or 0 when the
/// byte there does not start one (stray continuation byte, overlong form, surrogate,
/// beyond U+10FFFF, or a sequence cut short). `i` must be < s.size().
size_t utf8_sequence_length(std::string_view s, size_t i);

/// Whether all of `s` is valid UTF-8.
bool is_valid_utf8(std::string_view s);

/// `s` with every byte that is not part of valid UTF-8 replaced by U+FFFD (the
/// replacement character); valid text is returned unchanged.
std::string to_valid_utf8(std::string_view s);

}  // namespace vmc::util
