#include "orchestrator/repin_log.h"

#include <algorithm>

namespace vmc::orchestrator {

std::optional<std::vector<std::string>> RepinLog::port_pin_started(const Pin& pin,
                                                                   const std::vector<Pin>& others) {
  const NicKey nic = pin.nic();
  const Where where{pin.host, pin.port_id};
  const bool restart = restarting_.erase(pin.key()) != 0;
  auto port_pin_of_nic = [&](const Pin& p) { return p.kind == PinKind::VmPort && p.nic() == nic; };
  // Another direction of the same port runs: one capture of the NIC, in two processes.
  const bool same_port_runs = std::any_of(others.begin(), others.end(), [&](const Pin& p) {
    return port_pin_of_nic(p) && p.host == pin.host && p.port_id == pin.port_id;
  });
  const bool nic_had_port_pin = std::any_of(others.begin(), others.end(), port_pin_of_nic);
  auto last = last_.find(nic);
  std::optional<std::vector<std::string>> from;
  if (last != last_.end() && !restart && !same_port_runs &&
      (!(last->second.where == where) || !nic_had_port_pin))
    from = last->second.pins;
  if (last == last_.end() || !(last->second.where == where) || !same_port_runs)
    last_[nic] = Last{where, {pin.name()}};
  else
    last->second.pins.push_back(pin.name());
  return from;
}

}  // namespace vmc::orchestrator
