// Captures cut off when their host's connection was lost: the pktcap-uw may still run
// there (the journal keeps it as running, for `capture cleanup`). Each is killed by PID
// once its host answers again and the pin's new capture runs there.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "model/inventory.h"
#include "orchestrator/seams.h"

namespace vmc::orchestrator {

struct Orphan {
  int64_t pid = 0;
  std::string pin_key, pin_name;
  model::HostInfo host;
};

class Orphans {
 public:
  void add(Orphan o) { by_host_[o.host.ref].push_back(std::move(o)); }
  bool empty() const { return by_host_.empty(); }
  /// The hosts that have any.
  std::vector<model::HostInfo> hosts() const;

  /// Kills the host's orphans through `host`, in the order they were added, telling
  /// `done` each outcome as it comes; one that could not be killed is kept.
  void kill(const model::MoRef& host_ref, HostControl& host,
            const std::function<void(const Orphan&, const Status&)>& done);
  /// Every orphan left, removed from here.
  std::vector<Orphan> take_all();

 private:
  std::map<model::MoRef, std::vector<Orphan>> by_host_;
};

}  // namespace vmc::orchestrator
