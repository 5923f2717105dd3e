#include "host/esxi_version.h"

#include "host/text.h"

namespace vmc::host {
namespace {

bool is_version(std::string_view v) {
  int dots = 0;
  bool digit = false;
  for (char c : v) {
    if (c == '.') {
      if (!digit) return false;
      ++dots;
      digit = false;
    } else if (c >= '0' && c <= '9') {
      digit = true;
    } else {
      return false;
    }
  }
  return digit && dots >= 1 && dots <= 3;
}

}  // namespace

Result<EsxiVersion> parse_vmware_vl(std::string_view text) {
  EsxiVersion v;
  bool found = false;
  for (std::string_view line : split_lines(text)) {
    auto tok = split_ws(line);
    if (tok.size() < 3 || tok[0] != "VMware" || tok[1] != "ESXi" || !is_version(tok[2])) continue;
    if (!found) {
      found = true;
      v.version = std::string(tok[2]);
      for (size_t i = 3; i < tok.size(); ++i) {
        if (tok[i].substr(0, 6) == "build-") v.build = std::string(tok[i].substr(6));
      }
    } else if (v.update.empty() && tok.size() > 3) {
      // Second line: "VMware ESXi 8.0 Update 3" / "VMware ESXi 6.5.0 GA".
      std::string u;
      for (size_t i = 3; i < tok.size(); ++i) u += (u.empty() ? "" : " ") + std::string(tok[i]);
      v.update = u;
    }
  }
  if (!found) {
    return Error("esxi.version", "`vmware -vl` printed " + excerpt(trim(text)) +
                                     ", not \"VMware ESXi <version> build-<n>\"; is this an ESXi host?");
  }
  return v;
}

}  // namespace vmc::host
