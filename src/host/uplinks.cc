#include "host/uplinks.h"

#include <algorithm>

namespace vmc::host {

Result<std::vector<std::string>> expand_uplinks(const model::UplinkTarget& t, const model::HostInfo& host) {
  std::vector<std::string> out;
  auto add = [&](const std::string& n) {
    if (std::find(out.begin(), out.end(), n) == out.end()) out.push_back(n);
  };
  if (!t.lag.empty()) {
    auto it = std::find_if(host.lags.begin(), host.lags.end(),
                           [&](const model::LagInfo& l) { return l.name == t.lag; });
    if (it == host.lags.end()) {
      std::string known;
      for (const auto& l : host.lags) known += (known.empty() ? "" : ", ") + l.name;
      return Error("uplink.lag", host.name + " has no LAG or team named \"" + t.lag + "\" (it has: " +
                                     (known.empty() ? "none" : known) + ")");
    }
    if (it->uplinks.empty()) {
      return Error("uplink.lag", host.name + ": LAG \"" + t.lag + "\" has no member uplinks");
    }
    for (const auto& u : it->uplinks) add(u);
  }
  for (const auto& u : t.uplinks) add(u);
  if (out.empty()) return Error("uplink.unknown", host.name + ": no uplink or LAG given");
  if (!host.uplinks.empty()) {
    for (const auto& u : out) {
      if (std::find(host.uplinks.begin(), host.uplinks.end(), u) == host.uplinks.end()) {
        std::string known;
        for (const auto& h : host.uplinks) known += (known.empty() ? "" : ", ") + h;
        return Error("uplink.unknown", host.name + " has no uplink " + u + " (it has: " + known + ")");
      }
    }
  }
  return out;
}

Result<std::vector<PlannedProcess>> plan_uplink_capture(const model::UplinkTarget& t,
                                                        const model::HostInfo& host,
                                                        const PktcapRequest& base) {
  auto nics = expand_uplinks(t, host);
  if (!nics) return nics.error();
  std::vector<PlannedProcess> out;
  for (const auto& n : *nics) {
    PktcapRequest r = base;
    r.target = {TargetKind::Uplink, 0, n};
    r.direction = model::Direction::Both;
    if (r.output != "-") {
      // One file per uplink: ".../cap.pcap" -> ".../cap-vmnic0.pcap".
      size_t slash = r.output.rfind('/');
      size_t dot = r.output.rfind('.');
      if (dot == std::string::npos || dot < slash) dot = r.output.size();
      r.output = r.output.substr(0, dot) + "-" + n + r.output.substr(dot);
    }
    auto p = plan_pktcap(r, host.version);
    if (!p) return p.error();
    out.insert(out.end(), p->begin(), p->end());
  }
  return out;
}

}  // namespace vmc::host
