// The orchestrator's keys, typed: a VM's NIC (what a gap, a re-pin or a cut-off capture
// is about) and a MAC on a host (what a switch port is looked up by).
#pragma once

#include <compare>

#include "model/inventory.h"
#include "model/mac.h"

namespace vmc::orchestrator {

/// One NIC of one VM.
struct NicKey {
  model::MoRef vm;
  model::Mac mac;
  friend bool operator==(const NicKey&, const NicKey&) = default;
  friend std::strong_ordering operator<=>(const NicKey&, const NicKey&) = default;
};

/// A NIC's MAC on one host: the host's switch port for it is looked up by this.
struct HostMac {
  model::MoRef host;
  model::Mac mac;
  friend bool operator==(const HostMac&, const HostMac&) = default;
  friend std::strong_ordering operator<=>(const HostMac&, const HostMac&) = default;
};

}  // namespace vmc::orchestrator
