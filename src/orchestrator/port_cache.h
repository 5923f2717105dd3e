// The switch ports the session has found for its NICs: each with when it was looked up
// (a port is asked again after `resync`, or at every pass while its VM settles after an
// event), and when each port was first seen (a re-pin's latency counts from there).
#pragma once

#include <chrono>
#include <map>
#include <optional>

#include "orchestrator/nic_key.h"
#include "orchestrator/observation.h"

namespace vmc::orchestrator {

class PortCache {
 public:
  /// The port found for `nic` less than `max_age` before `now`, if any.
  std::optional<NicPort> fresh(const HostMac& nic, model::TimePoint now,
                               std::chrono::milliseconds max_age) const;
  /// The host has port `port_id` for `nic` now.
  NicPort known(const HostMac& nic, int64_t port_id, model::TimePoint now);
  /// Ask the host again next time.
  void forget(const HostMac& nic) { found_.erase(nic); }
  void forget_all() { found_.clear(); }
  /// When `port_id` was first seen for `nic` (nullopt: never).
  std::optional<model::TimePoint> first_seen(const HostMac& nic, int64_t port_id) const;

 private:
  struct Found {
    NicPort port;
    model::TimePoint at{};
  };
  std::map<HostMac, Found> found_;
  std::map<std::pair<HostMac, int64_t>, model::TimePoint> first_seen_;
};

}  // namespace vmc::orchestrator
