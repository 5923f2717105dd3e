#include "plan/values.h"

#include "plan/suggest.h"

#include <array>
#include <cctype>
#include <limits>
#include <utility>

namespace vmc::plan {

namespace {

constexpr const char* kBad = "plan.bad-value";

Error bad(std::string message) { return Error(kBad, std::move(message)); }

std::string quote(std::string_view s) {
  // Quote the input for a message; keep it short and printable whatever it holds.
  std::string out = "'";
  size_t n = 0;
  for (char c : s) {
    if (++n > 60) {
      out += "...";
      break;
    }
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7f) {
      static const char* hex = "0123456789abcdef";
      out += "\\x";
      out += hex[u >> 4];
      out += hex[u & 15];
    } else {
      out += c;
    }
  }
  return out + "'";
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_hex(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }
char lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

std::string to_lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = lower(c);
  return out;
}

int hex_value(char c) {
  if (is_digit(c)) return c - '0';
  return lower(c) - 'a' + 10;
}

// Reads a run of decimal digits at `i` into `out`; false on overflow or no digits.
bool read_uint(std::string_view s, size_t& i, uint64_t& out) {
  size_t start = i;
  out = 0;
  while (i < s.size() && is_digit(s[i])) {
    auto d = static_cast<uint64_t>(s[i] - '0');
    if (out > (std::numeric_limits<uint64_t>::max() - d) / 10) return false;
    out = out * 10 + d;
    ++i;
  }
  return i > start;
}

// "0x1F" -> 31; nullopt unless it is 0x followed by 1..max_digits hex digits.
std::optional<int> read_hex(std::string_view s, size_t max_digits) {
  if (s.size() < 3 || s[0] != '0' || lower(s[1]) != 'x') return std::nullopt;
  std::string_view digits = s.substr(2);
  if (digits.size() > max_digits) return std::nullopt;
  int v = 0;
  for (char c : digits) {
    if (!is_hex(c)) return std::nullopt;
    v = v * 16 + hex_value(c);
  }
  return v;
}

}  // namespace

Result<std::chrono::milliseconds> parse_duration(std::string_view text) {
  static const std::array<std::pair<const char*, int64_t>, 5> units{{
      {"d", 86'400'000}, {"h", 3'600'000}, {"m", 60'000}, {"s", 1'000}, {"ms", 1}}};
  const std::string expected =
      "expected a duration like 30s, 5m, 1h30m or 500ms (units d, h, m, s, ms, largest first)";
  constexpr int64_t kMax = 366LL * 86'400'000;
  if (text.empty()) return bad("empty duration; " + expected);
  size_t i = 0;
  int64_t total = 0;
  int last_unit = -1;
  while (i < text.size()) {
    uint64_t n = 0;
    if (!read_uint(text, i, n)) {
      if (text[i] == '-') return bad(quote(text) + " is negative; " + expected);
      return bad(quote(text) + " is not a duration; " + expected);
    }
    size_t u0 = i;
    while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i]))) ++i;
    std::string unit = to_lower(text.substr(u0, i - u0));
    if (unit.empty() && i < text.size()) return bad(quote(text) + " is not a duration; " + expected);
    if (unit.empty()) {
      return bad(quote(text) + " has no unit after " + std::to_string(n) +
                 " (write 30s or 5m, not 30); " + expected);
    }
    int found = -1;
    for (size_t k = 0; k < units.size(); ++k) {
      if (unit == units[k].first) found = static_cast<int>(k);
    }
    if (found < 0) return bad(quote(text) + " has an unknown unit '" + unit + "'; " + expected);
    if (found <= last_unit) {
      return bad(quote(text) + " repeats a unit or puts a smaller one first; " + expected);
    }
    last_unit = found;
    auto mult = static_cast<uint64_t>(units[static_cast<size_t>(found)].second);
    if (n > static_cast<uint64_t>(kMax) / mult ||
        total + static_cast<int64_t>(n * mult) > kMax) {
      return bad(quote(text) + " is too long; the longest session is 366d");
    }
    total += static_cast<int64_t>(n * mult);
  }
  if (total <= 0) return bad(quote(text) + " is zero; a duration must be longer than 0");
  return std::chrono::milliseconds(total);
}

std::string format_duration(std::chrono::milliseconds d) {
  int64_t ms = d.count();
  if (ms <= 0) return "0s";
  static const std::array<std::pair<const char*, int64_t>, 5> units{{
      {"d", 86'400'000}, {"h", 3'600'000}, {"m", 60'000}, {"s", 1'000}, {"ms", 1}}};
  std::string out;
  for (const auto& [name, mult] : units) {
    if (ms >= mult) {
      out += std::to_string(ms / mult) + name;
      ms %= mult;
    }
  }
  return out;
}

Result<uint64_t> parse_size(std::string_view text) {
  const std::string expected =
      "expected a size like 500MB, 2GiB or 1.5GB (units B, kB, MB, GB, TB, KiB, MiB, GiB, TiB)";
  static const std::array<std::pair<const char*, uint64_t>, 10> units{{
      {"b", 1ULL},
      {"kb", 1000ULL},
      {"mb", 1000ULL * 1000},
      {"gb", 1000ULL * 1000 * 1000},
      {"tb", 1000ULL * 1000 * 1000 * 1000},
      {"kib", 1ULL << 10},
      {"mib", 1ULL << 20},
      {"gib", 1ULL << 30},
      {"tib", 1ULL << 40},
      {"", 1ULL},
  }};
  if (text.empty()) return bad("empty size; " + expected);
  size_t i = 0;
  uint64_t whole = 0;
  if (!read_uint(text, i, whole)) {
    if (text[0] == '-') return bad(quote(text) + " is negative; " + expected);
    return bad(quote(text) + " is not a size; " + expected);
  }
  uint64_t frac = 0, frac_scale = 1;
  if (i < text.size() && text[i] == '.') {
    ++i;
    size_t start = i;
    while (i < text.size() && is_digit(text[i])) {
      if (i - start >= 9) return bad(quote(text) + " has too many decimals; " + expected);
      frac = frac * 10 + static_cast<uint64_t>(text[i] - '0');
      frac_scale *= 10;
      ++i;
    }
    if (i == start) return bad(quote(text) + " has no digits after the point; " + expected);
  }
  if (i < text.size() && text[i] == ' ') ++i;
  std::string unit = to_lower(text.substr(i));
  const std::pair<const char*, uint64_t>* match = nullptr;
  for (const auto& u : units) {
    if (unit == u.first) match = &u;
  }
  if (!match) return bad(quote(text) + " has an unknown unit '" + std::string(text.substr(i)) + "'; " + expected);
  uint64_t mult = match->second;
  if (whole > std::numeric_limits<uint64_t>::max() / mult) return bad(quote(text) + " is too large");
  uint64_t bytes = whole * mult;
  // frac < frac_scale <= 1e9 and mult <= 2^40, so frac * (mult / gcd) may overflow only for
  // huge units; compute as (frac * mult) / frac_scale in two steps to stay in range.
  uint64_t frac_bytes = (mult / frac_scale) * frac + ((mult % frac_scale) * frac) / frac_scale;
  if (bytes > std::numeric_limits<uint64_t>::max() - frac_bytes) return bad(quote(text) + " is too large");
  bytes += frac_bytes;
  if (bytes == 0) return bad(quote(text) + " is zero; a size must be at least 1 byte");
  return bytes;
}

std::string format_size(uint64_t bytes) {
  static const std::array<std::pair<const char*, uint64_t>, 8> units{{
      {"TiB", 1ULL << 40},
      {"TB", 1000ULL * 1000 * 1000 * 1000},
      {"GiB", 1ULL << 30},
      {"GB", 1000ULL * 1000 * 1000},
      {"MiB", 1ULL << 20},
      {"MB", 1000ULL * 1000},
      {"KiB", 1ULL << 10},
      {"kB", 1000ULL},
  }};
  if (bytes == 0) return "0B";
  for (const auto& [name, mult] : units) {
    if (bytes % mult == 0) return std::to_string(bytes / mult) + name;
  }
  return std::to_string(bytes) + "B";
}

Result<int64_t> parse_int(std::string_view text, int64_t min, int64_t max, std::string_view what) {
  std::string range = std::string(what) + " must be a whole number from " + std::to_string(min) +
                      " to " + std::to_string(max);
  if (text.empty()) return bad("empty " + std::string(what) + "; " + range);
  bool negative = text[0] == '-';
  size_t i = (negative || text[0] == '+') ? 1 : 0;
  uint64_t v = 0;
  if (!read_uint(text, i, v) || i != text.size()) {
    return bad(quote(text) + " is not a whole number; " + range);
  }
  if (negative && v != 0) {
    if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) || -static_cast<int64_t>(v) < min) {
      return bad(quote(text) + " is out of range; " + range);
    }
    return -static_cast<int64_t>(v);
  }
  if (v > static_cast<uint64_t>(max) || static_cast<int64_t>(v) < min) {
    return bad(quote(text) + " is out of range; " + range);
  }
  return static_cast<int64_t>(v);
}

bool looks_like_mac(std::string_view text) {
  if (text.size() != 17) return false;
  char sep = text[2];
  if (sep != ':' && sep != '-') return false;
  for (size_t i = 0; i < 17; ++i) {
    if (i % 3 == 2) {
      if (text[i] != sep) return false;
    } else if (!is_hex(text[i])) {
      return false;
    }
  }
  return true;
}

Result<std::string> parse_mac(std::string_view text) {
  if (!looks_like_mac(text)) {
    return bad(quote(text) + " is not a MAC address; expected six hex byte pairs like 00:50:56:aa:bb:cc");
  }
  std::string out = to_lower(text);
  for (size_t i = 2; i < out.size(); i += 3) out[i] = ':';
  return out;
}

Result<std::string> parse_ipv4(std::string_view text, bool allow_prefix) {
  const std::string expected = allow_prefix ? "expected an IPv4 address like 10.0.0.1 or a network like 10.0.0.0/24"
                                            : "expected an IPv4 address like 10.0.0.1";
  std::string_view addr = text;
  std::string_view prefix;
  if (auto slash = text.find('/'); slash != std::string_view::npos) {
    if (!allow_prefix) return bad(quote(text) + " has a prefix length, which this filter does not take; " + expected);
    addr = text.substr(0, slash);
    prefix = text.substr(slash + 1);
  }
  int parts = 0;
  size_t i = 0;
  while (true) {
    size_t start = i;
    uint64_t v = 0;
    if (!read_uint(addr, i, v) || i - start > 3 || v > 255 || (i - start > 1 && addr[start] == '0')) {
      return bad(quote(text) + " is not an IPv4 address; " + expected);
    }
    ++parts;
    if (i == addr.size()) break;
    if (addr[i] != '.' || parts == 4) return bad(quote(text) + " is not an IPv4 address; " + expected);
    ++i;
  }
  if (parts != 4) return bad(quote(text) + " is not an IPv4 address (it needs four numbers); " + expected);
  if (!prefix.empty() || text.find('/') != std::string_view::npos) {
    size_t j = 0;
    uint64_t p = 0;
    if (!read_uint(prefix, j, p) || j != prefix.size() || p > 32) {
      return bad(quote(text) + " has a bad prefix length (0 to 32); " + expected);
    }
  }
  return std::string(text);
}

Result<int> parse_port(std::string_view text) {
  auto v = parse_int(text, 1, 65535, "a port");
  if (!v) return v.error();
  return static_cast<int>(*v);
}

Result<int> parse_vlan(std::string_view text) {
  auto v = parse_int(text, 0, 4095, "a VLAN ID");
  if (!v) return v.error();
  return static_cast<int>(*v);
}

Result<int> parse_proto(std::string_view text) {
  std::string l = to_lower(text);
  if (l == "tcp") return 6;
  if (l == "udp") return 17;
  if (l == "icmp") return 1;
  if (auto h = read_hex(text, 2)) return *h;
  auto v = parse_int(text, 0, 255, "an IP protocol");
  if (!v) {
    return bad(quote(text) + " is not an IP protocol; expected tcp, udp, icmp, a number from 0 to 255 or hex "
               "from 0x00 to 0xff");
  }
  return static_cast<int>(*v);
}

Result<int> parse_ethtype(std::string_view text) {
  static const std::array<std::pair<const char*, int>, 6> names{{
      {"ipv4", 0x0800}, {"arp", 0x0806}, {"rarp", 0x8035}, {"vlan", 0x8100}, {"ipv6", 0x86dd}, {"lldp", 0x88cc}}};
  const std::string expected =
      "expected an EtherType in hex from 0x0600 to 0xffff (like 0x0806) or one of ipv4, arp, rarp, vlan, ipv6, lldp";
  std::string l = to_lower(text);
  for (const auto& [name, value] : names) {
    if (l == name) return value;
  }
  auto h = read_hex(text, 4);
  if (!h) {
    size_t i = 0;
    uint64_t v = 0;
    if (read_uint(text, i, v) && i == text.size()) {
      return bad(quote(text) + " is decimal; write EtherTypes in hex with 0x; " + expected);
    }
    return bad(quote(text) + " is not an EtherType; " + expected);
  }
  if (*h < 0x0600) return bad(quote(text) + " is below 0x0600, which is an 802.3 length, not a type; " + expected);
  return *h;
}

Result<model::Direction> parse_direction(std::string_view text) {
  std::string l = to_lower(text);
  if (l == "in") return model::Direction::In;
  if (l == "out") return model::Direction::Out;
  if (l == "both") return model::Direction::Both;
  std::string hint;
  if (auto c = closest(text, {"in", "out", "both"})) hint = " (did you mean '" + *c + "'?)";
  return bad(quote(text) + " is not a direction" + hint + "; expected in, out or both");
}

Result<bool> parse_bool(std::string_view text) {
  std::string l = to_lower(text);
  if (l == "true" || l == "on" || l == "yes") return true;
  if (l == "false" || l == "off" || l == "no") return false;
  return bad(quote(text) + " is not a switch; expected on or off (true/false, yes/no)");
}

Result<model::DrsPolicy> parse_drs(std::string_view text) {
  static const std::array<const char*, 3> behaviors{"manual", "partiallyAutomated", "fullyAutomated"};
  std::string l = to_lower(text);
  for (const char* b : behaviors) {
    if (l == to_lower(b)) return model::DrsPolicy{true, b};
  }
  if (l == "none" || l == "off" || l == "false" || l == "no") return model::DrsPolicy{false, ""};
  std::string hint;
  if (auto c = closest(text, {"manual", "partiallyAutomated", "fullyAutomated", "none"})) {
    hint = " (did you mean '" + *c + "'?)";
  }
  return bad(quote(text) + " is not a DRS behaviour" + hint +
             "; expected manual, partiallyAutomated, fullyAutomated, or none (leave the cluster's DRS "
             "settings alone)");
}

Result<int> parse_stage(std::string_view text) {
  std::string l = to_lower(text);
  if (l == "pre" || l == "0") return 0;
  if (l == "post" || l == "1") return 1;
  return bad(quote(text) + " is not a stage; expected pre (0) or post (1)");
}

Result<int> parse_snaplen(std::string_view text) {
  const std::string expected = "expected 0 (whole frames) or a length from 24 to 65535 bytes";
  size_t i = 0;
  uint64_t v = 0;
  if (!read_uint(text, i, v) || i != text.size()) return bad(quote(text) + " is not a snap length; " + expected);
  if (v != 0 && (v < 24 || v > 65535)) {
    return bad(quote(text) + " is out of range (pktcap-uw takes at least 24); " + expected);
  }
  return static_cast<int>(v);
}

Result<int> parse_ring(std::string_view text) {
  auto v = parse_int(text, 1, 100000, "a ring size (the number of files kept)");
  if (!v) return v.error();
  return static_cast<int>(*v);
}

Result<int> parse_boots(std::string_view text) {
  auto v = parse_int(text, 1, 1000, "a number of boots");
  if (!v) return v.error();
  return static_cast<int>(*v);
}

Result<std::string> parse_capture_point(std::string_view text) {
  bool ok = !text.empty() && text.size() <= 64;
  for (char c : text) ok = ok && std::isalnum(static_cast<unsigned char>(c));
  if (!ok) {
    return bad(quote(text) + " is not a capture point name; expected letters and digits like VnicRx, "
               "VnicTx, PortInput or PortOutput (`pktcap-uw -A` lists the host's points)");
  }
  return std::string(text);
}

Result<std::string> parse_rcf(std::string_view text) {
  bool blank = true;
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7f) {
      return bad("the rcf expression " + quote(text) + " has a control or non-ASCII character; "
                 "expected one line of pcap filter syntax like \"udp port 67 or udp port 68\"");
    }
    if (c != ' ') blank = false;
  }
  if (blank) return bad("the rcf expression is empty; expected pcap filter syntax like \"udp port 67 or arp\"");
  if (text.size() > 1024) return bad("the rcf expression is longer than 1024 characters");
  return std::string(text);
}

Result<std::string> parse_uplink_name(std::string_view text) {
  size_t i = text.rfind("vmnic", 0) == 0 ? 5 : text.rfind("vusb", 0) == 0 ? 4 : 0;
  uint64_t n = 0;
  if (i == 0 || !read_uint(text, i, n) || i != text.size() || text.size() > 32) {
    return bad(quote(text) + " is not an uplink name; expected a name like vmnic0 or vusb1");
  }
  return std::string(text);
}

}  // namespace vmc::plan
