#include "model/inventory.h"

#include <cstdlib>

namespace vmc::model {

bool supports_dir_both(const std::string& esxi_version) {
  // "8.0.3" -> (8, 0); anything unparsable is treated as old (two processes are always safe).
  char* end = nullptr;
  long major = std::strtol(esxi_version.c_str(), &end, 10);
  if (end == esxi_version.c_str()) return false;
  long minor = 0;
  if (*end == '.') minor = std::strtol(end + 1, nullptr, 10);
  return major > 6 || (major == 6 && minor >= 7);
}

const char* to_string(PowerState p) {
  switch (p) {
    case PowerState::On: return "poweredOn";
    case PowerState::Off: return "poweredOff";
    case PowerState::Suspended: return "suspended";
    case PowerState::Unknown: break;
  }
  return "unknown";
}

}  // namespace vmc::model
