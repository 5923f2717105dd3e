#include "util/utf8.h"

namespace vmc::util {

size_t utf8_sequence_length(std::string_view s, size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  if (c < 0x80) return 1;
  size_t n = 0;
  unsigned char lo = 0x80, hi = 0xbf;  // allowed range of the second byte
  if (c >= 0xc2 && c <= 0xdf) {
    n = 1;
  } else if (c == 0xe0) {
    n = 2;
    lo = 0xa0;  // no overlong forms
  } else if (c == 0xed) {
    n = 2;
    hi = 0x9f;  // no surrogates
  } else if (c >= 0xe1 && c <= 0xef) {
    n = 2;
  } else if (c == 0xf0) {
    n = 3;
    lo = 0x90;
  } else if (c >= 0xf1 && c <= 0xf3) {
    n = 3;
  } else if (c == 0xf4) {
    n = 3;
    hi = 0x8f;  // nothing beyond U+10FFFF
  } else {
    return 0;
  }
  if (i + n >= s.size()) return 0;
  for (size_t k = 1; k <= n; ++k) {
    const auto d = static_cast<unsigned char>(s[i + k]);
    if (d < (k == 1 ? lo : 0x80) || d > (k == 1 ? hi : 0xbf)) return 0;
  }
  return n + 1;
}

bool is_valid_utf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const size_t n = utf8_sequence_length(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

std::string to_valid_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    const size_t n = utf8_sequence_length(s, i);
    if (n == 0) {
      out += "\xEF\xBF\xBD";  // U+FFFD
      ++i;
    } else {
      out.append(s.substr(i, n));
      i += n;
    }
  }
  return out;
}

}  // namespace vmc::util
