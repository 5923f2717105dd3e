#include "orchestrator/pin.h"

namespace vmc::orchestrator {

const char* to_string(PinKind k) {
  switch (k) {
    case PinKind::VmPort: return "port";
    case PinKind::Uplink: return "uplink";
    case PinKind::Bridge: return "bridge";
  }
  return "unknown";
}

static std::string target(const Pin& p) {
  if (p.kind == PinKind::VmPort) return "port:" + std::to_string(p.port_id);
  return std::string(to_string(p.kind)) + ":" + p.uplink;
}

std::string Pin::key() const {
  return host.value + "|" + target(*this) + "|" + model::to_string(dir) + "|" + vm.value + "|" +
         mac.str();
}

std::string Pin::name() const {
  const std::string& h = host_name.empty() ? host.value : host_name;
  switch (kind) {
    case PinKind::VmPort:
      return h + " port " + std::to_string(port_id) + " " + model::to_string(dir);
    case PinKind::Uplink:
      return h + " " + uplink + " " + model::to_string(dir);
    case PinKind::Bridge:
      return h + " " + uplink + " mac " + mac.str() + " " + model::to_string(dir);
  }
  return h;
}

std::string Pin::description() const {
  if (kind == PinKind::Uplink) return "uplink " + uplink + " of " + (host_name.empty() ? host.value : host_name);
  std::string s = vm_name.empty() ? vm.value : vm_name;
  if (!nic_label.empty()) s += " " + nic_label;
  s += " " + mac.str();
  if (kind == PinKind::Bridge) s += " (bridge while the port is unknown)";
  return s;
}

}  // namespace vmc::orchestrator
