#include "util/untrusted_text.h"

#include "util/utf8.h"

namespace vmc::util {

std::string untrusted_text(std::string_view s, size_t max_bytes) {
  std::string out;
  out.reserve(s.size() < max_bytes ? s.size() : max_bytes);
  size_t i = 0;
  while (i < s.size()) {
    const size_t n = utf8_sequence_length(s, i);
    std::string_view piece;
    std::string replaced;
    if (n == 0) {
      replaced = "?";
    } else if (n == 1) {
      const auto c = static_cast<unsigned char>(s[i]);
      if (c == '\n' || c == '\r' || c == '\t') {
        replaced = " ";
      } else if (c < 0x20 || c == 0x7f) {
        replaced = "?";
      } else {
        piece = s.substr(i, 1);
      }
    } else if (n == 2 && static_cast<unsigned char>(s[i]) == 0xc2 &&
               static_cast<unsigned char>(s[i + 1]) <= 0x9f) {
      replaced = "?";  // C1 control (U+0080..U+009F), e.g. CSI
    } else {
      piece = s.substr(i, n);
    }
    const size_t add = replaced.empty() ? piece.size() : replaced.size();
    if (out.size() + add > max_bytes) break;
    if (replaced.empty()) {
      out.append(piece);
    } else {
      out += replaced;
    }
    i += n == 0 ? 1 : n;
  }
  if (i < s.size()) out += "... (" + std::to_string(s.size()) + " bytes)";
  return out;
}

}  // namespace vmc::util
