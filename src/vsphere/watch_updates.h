// WaitForUpdatesEx results (gSOAP UpdateSet) -> plain observations for EventTranslator.
// Internal to src/vsphere.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "soapH.h"
#include "vsphere/event_translator.h"

namespace vmc::vsphere {

/// The VirtualMachine properties the watcher follows.
inline const std::vector<std::string> kVmPaths = {
    "name", "runtime.host", "runtime.powerState", "runtime.bootTime", "config.hardware.device"};

struct UpdateBatch {
  std::vector<VmObservation> vms;
  std::vector<std::pair<model::MoRef, std::vector<model::PortInfo>>> host_ports;
  std::vector<RawEvent> events;  // oldest first
  bool saw_event_page = false;   // an EventHistoryCollector latestPage was in the update
};

UpdateBatch batch_from_update(const vim25__UpdateSet& update);

/// One event of a latestPage; the type is its xsi:type (unknown classes: "Event").
RawEvent raw_event(const vim25__Event& e);

}  // namespace vmc::vsphere
