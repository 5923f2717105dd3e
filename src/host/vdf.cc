#include "host/vdf.h"

#include <cmath>

#include "host/text.h"

namespace vmc::host {

std::optional<int64_t> parse_human_size(std::string_view s) {
  if (s.empty() || s.size() > 24) return std::nullopt;
  double mult = 1;
  char last = s.back();
  switch (last) {
    case 'B': case 'b': mult = 1; break;
    case 'K': case 'k': mult = 1024.0; break;
    case 'M': case 'm': mult = 1024.0 * 1024; break;
    case 'G': case 'g': mult = 1024.0 * 1024 * 1024; break;
    case 'T': case 't': mult = 1024.0 * 1024 * 1024 * 1024; break;
    case 'P': case 'p': mult = 1024.0 * 1024 * 1024 * 1024 * 1024; break;
    default: last = 0; break;
  }
  std::string_view num = last ? s.substr(0, s.size() - 1) : s;
  if (num.empty()) return std::nullopt;
  double v = 0, frac = 0.1;
  bool dot = false, digit = false;
  for (char c : num) {
    if (c == '.' && !dot) {
      dot = true;
    } else if (c >= '0' && c <= '9') {
      digit = true;
      if (dot) {
        v += (c - '0') * frac;
        frac /= 10;
      } else {
        v = v * 10 + (c - '0');
      }
    } else {
      return std::nullopt;
    }
  }
  if (!digit) return std::nullopt;
  double bytes = std::round(v * mult);
  if (bytes >= 9.0e18) return std::nullopt;
  return static_cast<int64_t>(bytes);
}

Result<std::vector<FsUsage>> parse_vdf(std::string_view text) {
  std::vector<FsUsage> out;
  enum { None, Fs, Ram } section = None;
  int64_t unit = 1;  // multiplier for bare numbers
  std::string pending_name;  // df-style wrapped first column
  auto lines = split_lines(text);
  for (size_t i = 0; i < lines.size(); ++i) {
    std::string_view line = trim(lines[i]);
    auto bad = [&](const std::string& what) {
      return Error("vdf.parse", "vdf output, line " + std::to_string(i + 1) + " " + excerpt(line) +
                                    ": " + what);
    };
    if (line.empty()) continue;
    if (line.find_first_not_of('-') == std::string_view::npos) {
      pending_name.clear();
      continue;
    }
    auto tok = split_ws(line);
    if (tok[0] == "Filesystem" || tok[0] == "Ramdisk") {
      bool kblocks = line.find("1K-blocks") != std::string_view::npos;
      // plain `vdf` says "1K-blocks" only over the filesystems; its ramdisk section that
      // follows uses the same unit.
      if (tok[0] == "Filesystem" || kblocks) unit = kblocks ? 1024 : 1;
      section = tok[0] == "Filesystem" ? Fs : Ram;
      pending_name.clear();
      continue;
    }
    if (section == None) return bad("expected a \"Filesystem\" or \"Ramdisk\" header first");
    if (tok.size() == 1 && pending_name.empty()) {
      pending_name = std::string(tok[0]);
      continue;
    }
    std::vector<std::string_view> f;
    std::string name;
    if (!pending_name.empty()) {
      name = pending_name;
      pending_name.clear();
      f = tok;
    } else {
      name = std::string(tok[0]);
      f.assign(tok.begin() + 1, tok.end());
    }
    if (f.size() < 5) return bad("expected <name> <size> <used> <avail> <use%> <mounted on>");
    FsUsage u;
    u.name = name;
    u.ramdisk = section == Ram;
    auto sz = [&](std::string_view v) -> std::optional<int64_t> {
      if (auto n = parse_int(v)) return *n >= 0 && *n < (INT64_MAX / 1024) ? std::optional(*n * unit) : std::nullopt;
      return parse_human_size(v);
    };
    auto size = sz(f[0]), used = sz(f[1]), avail = sz(f[2]);
    if (!size || !used || !avail) return bad("size, used and available must be sizes like 12K or 1.5G");
    std::string_view pct = f[3];
    if (pct.empty() || pct.back() != '%') return bad("use% " + excerpt(pct) + " does not end in %");
    auto p = parse_int(pct.substr(0, pct.size() - 1));
    if (!p || *p < 0 || *p > 100) return bad("use% " + excerpt(pct) + " is not a percentage");
    u.size = *size;
    u.used = *used;
    u.avail = *avail;
    u.use_percent = static_cast<int>(*p);
    // Mount point: everything after the use% column (may contain spaces).
    size_t off = static_cast<size_t>(f[4].data() - line.data());
    u.mount = std::string(trim(line.substr(off)));
    out.push_back(std::move(u));
  }
  return out;
}

std::optional<FsUsage> usage_for_path(const std::vector<FsUsage>& all, std::string_view path) {
  if (path == "/tmp" || path.substr(0, 5) == "/tmp/") {
    for (const auto& u : all) {
      if (u.ramdisk && (u.name == "tmp" || u.mount == "/tmp")) return u;
    }
  }
  const FsUsage* best = nullptr;
  for (const auto& u : all) {
    const std::string& m = u.mount;
    if (m.empty() || m[0] != '/') continue;
    bool prefix = path.substr(0, m.size()) == m &&
                  (path.size() == m.size() || path[m.size()] == '/' || m == "/");
    if (prefix && (!best || m.size() > best->mount.size())) best = &u;
  }
  if (best) return *best;
  return std::nullopt;
}

}  // namespace vmc::host
