// `vmware -vl` (or `vmware -v`):
//   VMware ESXi 8.0.3 build-24022510
//   VMware ESXi 8.0 Update 3
#pragma once

#include <string>
#include <string_view>

#include "util/result.h"

namespace vmc::host {

struct EsxiVersion {
  std::string version;  // "8.0.3"
  std::string build;    // "24022510"
  std::string update;   // "Update 3", "GA", or empty (from the second line)
  friend bool operator==(const EsxiVersion&, const EsxiVersion&) = default;
};

/// Code "esxi.version" when no "VMware ESXi <x.y[.z]>" line is found.
Result<EsxiVersion> parse_vmware_vl(std::string_view text);

}  // namespace vmc::host
