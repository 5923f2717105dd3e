#include "session/on_host_names.h"

namespace vmc::session {

namespace {

std::string safe(const std::string& s) {
  std::string out = s.empty() ? std::string("_") : s;
  for (char& c : out) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) c = '_';
  }
  return out;
}

}  // namespace

std::string on_host_file_name(const std::string& session_id, const orchestrator::Pin& pin, uint64_t n) {
  using orchestrator::PinKind;
  std::string port = pin.kind == PinKind::VmPort ? std::to_string(pin.port_id) : pin.uplink;
  if (pin.kind == PinKind::Bridge) port += "-bridge";
  const std::string host = pin.host_name.empty() ? pin.host.value : pin.host_name;
  return "vmc-" + safe(session_id) + "-" + safe(host) + "-" + safe(port) + "-" +
         model::to_string(pin.dir) + "-" + std::to_string(n) + ".pcap";
}

}  // namespace vmc::session
