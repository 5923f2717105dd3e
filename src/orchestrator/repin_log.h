// Which port each VM NIC was last captured on, to tell a re-pin (the NIC's port capture
// starts on another port or host, or again after the NIC had none running: a power
// cycle) from a first pin, a restart of the same capture, or a second direction of it.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "orchestrator/nic_key.h"
#include "orchestrator/pin.h"

namespace vmc::orchestrator {

class RepinLog {
 public:
  /// The pin's capture died and is to be restarted: its next start is no re-pin.
  void restarting(const std::string& pin_key) { restarting_.insert(pin_key); }

  /// A VmPort capture of `pin` has just started; `others` are the pins that ran before
  /// it. Returns the names of the pins the NIC moved from when this is a re-pin.
  std::optional<std::vector<std::string>> port_pin_started(const Pin& pin,
                                                           const std::vector<Pin>& others);

 private:
  struct Where {
    model::MoRef host;
    int64_t port_id = 0;
    friend bool operator==(const Where&, const Where&) = default;
  };
  struct Last {
    Where where;
    std::vector<std::string> pins;  // names of the pins there (one per direction)
  };
  std::map<NicKey, Last> last_;
  std::set<std::string> restarting_;  // pin keys
};

}  // namespace vmc::orchestrator
