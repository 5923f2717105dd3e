// The watcher's output: one ordered stream of plain events about watched VMs, made
// from vCenter property updates (level) and events (edges).
#pragma once

#include <string>

#include "model/inventory.h"

namespace vmc::model {

enum class VmEventKind {
  Moved,          // runtime.host changed (vMotion, DRS, HA restart): from_host -> to_host
  Reset,          // VmResettingEvent / VmDasBeingResetEvent
  PoweredOn,
  PoweredOff,
  GuestRebooted,  // guest OS restart: the VM process and its port stay
  NicsChanged,    // config.hardware.device NIC list or MACs changed
  PortsChanged,   // the VM's switch ports on its host changed
  Removed,        // the VM no longer exists
  Resynced,       // the watcher reconnected and took a fresh full view
};

struct VmEvent {
  VmEventKind kind;
  MoRef vm;
  std::string vm_name;
  MoRef from_host;      // Moved only
  MoRef to_host;        // Moved only
  TimePoint at;         // when vCenter says it happened (event createdTime) or when observed
  std::string source;   // "event:VmResettingEvent", "property:runtime.host", ...
  std::string detail;   // free text for logs and pcapng comments
};

const char* to_string(VmEventKind k);

}  // namespace vmc::model
