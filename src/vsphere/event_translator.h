// Turns what vCenter reports about watched VMs -- property changes (levels: where the
// VM is, its power state, boot time, NICs, its host's ports) and events (edges: reset,
// migrated, guest reboot...) -- into one stream of model::VmEvent. Pure and
// deterministic: no I/O, no clock; the watcher feeds it plain observations.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "model/events.h"
#include "model/inventory.h"

namespace vmc::vsphere {

/// One vCenter event, reduced to what matters here. `type` is the xsi:type
/// ("VmResettingEvent"); for EventEx, `event_type_id` holds its id.
struct RawEvent {
  int64_t key = 0;
  std::string type;
  std::string event_type_id;
  model::TimePoint created{};
  model::MoRef vm;
  std::string vm_name;
  model::MoRef host;         // Event.host: where the VM is (after a migration: the target)
  model::MoRef source_host;  // VmMigratedEvent / VmRelocatedEvent / restarted-on-alternate
  model::MoRef dest_host;    // VmBeingHotMigratedEvent
  std::string message;       // fullFormattedMessage
};

/// The watched state of one VM as the PropertyCollector last reported it. Unset
/// optionals were not part of the update.
struct VmObservation {
  model::MoRef vm;
  std::optional<std::string> name;
  std::optional<model::MoRef> host;
  std::optional<model::PowerState> power;
  std::optional<std::optional<model::TimePoint>> boot_time;  // inner nullopt: unset
  std::optional<std::vector<model::NicInfo>> nics;
  bool removed = false;      // ObjectUpdate kind "leave"
};

class EventTranslator {
 public:
  /// Property changes of one VM observed at `at`. The first observation of a VM only
  /// records its state; later ones yield the differences.
  std::vector<model::VmEvent> observe_vm(const VmObservation& o, model::TimePoint at);

  /// The ports of `host` (all port groups). Yields PortsChanged for each watched VM on
  /// that host whose MACs' ports changed.
  std::vector<model::VmEvent> observe_host_ports(const model::MoRef& host,
                                                 const std::vector<model::PortInfo>& ports,
                                                 model::TimePoint at);

  /// One event from the event tail; events already seen (same key) yield nothing.
  /// Events of VMs that are not watched yield nothing.
  std::vector<model::VmEvent> observe_event(const RawEvent& e);

  /// Forgets every VM (after a reconnect the next observations are a fresh full state).
  void reset_state();

  /// Current knowledge of a VM's host (empty if unknown).
  model::MoRef host_of(const model::MoRef& vm) const;

  /// Marks a VM as watched (events about other VMs are ignored).
  void watch(const model::MoRef& vm) { watched_.insert(vm); }
  bool watched(const model::MoRef& vm) const { return watched_.count(vm) > 0; }

 private:
  struct VmState {
    std::string name;
    model::MoRef host;
    model::PowerState power = model::PowerState::Unknown;
    std::optional<model::TimePoint> boot_time;
    std::vector<model::NicInfo> nics;
    std::vector<model::PortInfo> ports;  // this VM's ports on its host
    bool seen = false;
  };
  model::VmEvent make(model::VmEventKind kind, const model::MoRef& vm, model::TimePoint at,
                      std::string source, std::string detail = {}) const;

  std::set<model::MoRef> watched_;
  std::map<model::MoRef, VmState> vms_;
  std::set<int64_t> seen_keys_;
  std::vector<int64_t> key_order_;  // bounds seen_keys_
};

/// Sorts by time (stable, so simultaneous events keep their order).
void order_events(std::vector<model::VmEvent>& events);

}  // namespace vmc::vsphere
