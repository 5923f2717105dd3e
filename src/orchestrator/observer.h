// What the session sees of the world: vCenter's watched VMs and hosts, the switch port
// of every watched NIC (from vCenter's port lists, else asked of the host; cached, see
// PortCache), vCenter's events as they come (remembered per VM, see RecentEvents), and
// the boots they tell of. vCenter not answering for `vcenter_give_up` ends the session.
#pragma once

#include <map>
#include <optional>
#include <vector>

#include "orchestrator/boot_counter.h"
#include "orchestrator/host_access.h"  // with the seams and SessionRecord
#include "orchestrator/port_cache.h"
#include "orchestrator/recent_events.h"
#include "orchestrator/runtime_options.h"

namespace vmc::orchestrator {

class Observer {
 public:
  Observer(const model::SessionSpec& spec, const RuntimeOptions& opt, VCenterApi& vcenter,
           HostAccess& hosts, SessionRecord& record);

  /// The first look: an error when vCenter cannot be asked or a VM of the spec is not
  /// there (later a VM may vanish and come back).
  Status first_look();
  /// Waits up to `wait` for an event, then takes what else is queued, noting each.
  Status wait_for_events(std::chrono::milliseconds wait);
  /// Looks at the world again.
  Status look();

  const Observation& seen() const { return seen_; }
  /// Whether none of the VMs the spec names is in vCenter's inventory any more.
  bool targets_gone() const;
  RecentEvents& events() { return events_; }
  PortCache& ports() { return ports_; }
  int boots() const { return boots_.total(); }
  std::optional<model::TimePoint> last_boot_at() const { return last_boot_at_; }

 private:
  Result<Observation> observe();
  NicPort resolve(const model::HostInfo& host, const model::Mac& mac,
                  std::map<model::MoRef, std::vector<model::PortInfo>>& api_ports);
  void on_event(const model::VmEvent& e);
  void boot_counted();
  /// vCenter did not answer: an error once it has not for the give-up time.
  Status vcenter_failed(const Error& e);

  const model::SessionSpec& spec_;
  const RuntimeOptions& opt_;
  VCenterApi& vcenter_;
  HostAccess& hosts_;
  SessionRecord& record_;
  Observation seen_;
  PortCache ports_;
  RecentEvents events_;
  BootCounter boots_;
  std::optional<model::TimePoint> last_boot_at_;
  std::optional<model::TimePoint> vcenter_failing_since_;
};

}  // namespace vmc::orchestrator
