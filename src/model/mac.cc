#include "model/mac.h"

namespace vmc::model {

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

}  // namespace

std::optional<Mac> Mac::parse(std::string_view s) {
  while (!s.empty() && blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && blank(s.back())) s.remove_suffix(1);
  static const char* kHex = "0123456789abcdef";
  std::string out;
  size_t i = 0;
  char sep = 0;
  for (int octet = 0; octet < 6; ++octet) {
    if (octet > 0) {
      if (i >= s.size() || (s[i] != ':' && s[i] != '-')) return std::nullopt;
      if (sep == 0) sep = s[i];
      if (s[i] != sep) return std::nullopt;
      ++i;
      out += ':';
    }
    size_t j = i;
    while (j < s.size() && j - i < 3 && hex_value(s[j]) >= 0) ++j;
    const size_t len = j - i;
    if (len < 1 || len > 2) return std::nullopt;
    int v = hex_value(s[i]);
    if (len == 2) v = v * 16 + hex_value(s[i + 1]);
    out += kHex[v >> 4];
    out += kHex[v & 15];
    i = j;
  }
  if (i != s.size()) return std::nullopt;
  return Mac(std::move(out));
}

std::array<uint8_t, 6> Mac::octets() const {
  std::array<uint8_t, 6> out{};
  if (text_.size() != 17) return out;
  for (size_t k = 0; k < 6; ++k)
    out[k] = static_cast<uint8_t>(hex_value(text_[3 * k]) * 16 + hex_value(text_[3 * k + 1]));
  return out;
}

}  // namespace vmc::model
