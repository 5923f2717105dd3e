// Counts boots (power-on or reset) of the watched VMs for the `boots` stop condition,
// from events (edges) and from runtime.bootTime (level), without counting one boot
// twice when both, or several events, report it.
#pragma once

#include <chrono>
#include <map>
#include <optional>

#include "model/events.h"
#include "model/inventory.h"

namespace vmc::orchestrator {

class BootCounter {
 public:
  /// Reports of one VM's boot less than `window` apart are the same boot
  /// (VmResettingEvent followed by VmPoweredOnEvent, a bootTime update).
  explicit BootCounter(std::chrono::milliseconds window) : window_(window) {}

  /// Returns true when the event is a new boot.
  bool on_event(const model::VmEvent& e);
  /// Returns true when the VM's boot time changed to a boot not yet counted. The first
  /// observation of a VM only records its boot time (that boot predates the session).
  bool on_observed(const model::VmInfo& vm);

  int total() const { return total_; }

 private:
  struct PerVm {
    bool seen = false;
    std::optional<model::TimePoint> boot_time;
    std::optional<model::TimePoint> last_counted;
  };
  bool count(PerVm& v, model::TimePoint at);

  std::chrono::milliseconds window_;
  std::map<model::MoRef, PerVm> vms_;
  int total_ = 0;
};

}  // namespace vmc::orchestrator
