// A pin: one pktcap-uw process the session wants running, named by what it captures.
// Two pins with the same key are the same capture: the reconciler compares keys, the
// sink keeps one pcapng interface per key across restarts.
#pragma once

#include <cstdint>
#include <string>

#include "model/inventory.h"
#include "model/mac.h"
#include "model/session_spec.h"
#include "orchestrator/nic_key.h"

namespace vmc::orchestrator {

enum class PinKind {
  VmPort,  // --switchport <port_id> of one VM NIC
  Uplink,  // --uplink <vmnic> named by the plan (explicit or a LAG member)
  Bridge,  // --uplink <vmnic> filtered by one VM NIC's MAC while its port is unknown
};

const char* to_string(PinKind k);

/// `dir` is seen from the VM for VmPort and Bridge pins (in = frames to the VM) and from
/// the host for Uplink pins (in = received from the wire). The host adapter maps it to
/// pktcap-uw's --dir for the target. Direction::Both is only used on hosts that
/// support `--dir 2` (model::supports_dir_both).
struct Pin {
  PinKind kind = PinKind::VmPort;
  model::MoRef host;
  std::string host_name;
  int64_t port_id = 0;       // VmPort only
  std::string uplink;        // Uplink and Bridge
  model::Direction dir = model::Direction::Both;
  model::MoRef vm;           // VmPort and Bridge
  std::string vm_name;
  model::Mac mac;           // VmPort and Bridge: the NIC's MAC (Bridge filters on it)
  std::string nic_label;

  /// Stable identity: kind, host, target, direction, VM and NIC MAC. Display names are
  /// not part of it (a VM rename does not restart its captures).
  std::string key() const;

  /// Short human name, also the pcapng interface name: "esx01 port 33554436 both".
  std::string name() const;

  /// Longer description for logs and pcapng: "testvm1 Network adapter 1 00:50:56:...".
  std::string description() const;

  /// The VM NIC a VmPort or Bridge pin captures.
  NicKey nic() const { return NicKey{vm, mac}; }

  friend bool operator==(const Pin& a, const Pin& b) { return a.key() == b.key(); }
};

}  // namespace vmc::orchestrator
