#include "model/events.h"

namespace vmc::model {

const char* to_string(VmEventKind k) {
  switch (k) {
    case VmEventKind::Moved: return "VmMoved";
    case VmEventKind::Reset: return "VmReset";
    case VmEventKind::PoweredOn: return "VmPoweredOn";
    case VmEventKind::PoweredOff: return "VmPoweredOff";
    case VmEventKind::GuestRebooted: return "GuestRebooted";
    case VmEventKind::NicsChanged: return "NicsChanged";
    case VmEventKind::PortsChanged: return "PortsChanged";
    case VmEventKind::Removed: return "VmRemoved";
    case VmEventKind::Resynced: return "Resynced";
  }
  return "unknown";
}

}  // namespace vmc::model
