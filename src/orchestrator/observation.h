// What the runtime saw of the world at one moment: the reconciler's only input besides
// the spec and what already runs. Plain data, built by the runtime from VCenterApi and
// HostControl answers.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "model/inventory.h"
#include "model/mac.h"
#include "orchestrator/nic_key.h"

namespace vmc::orchestrator {

/// Where one NIC of a VM is attached on its current host.
struct NicPort {
  enum class State {
    Known,       // port_id is the switch port now
    Absent,      // the host answered and has no port for this MAC (yet)
    Unresolved,  // the host could not be asked (SSH down, command failed): keep what runs
  };
  State state = State::Absent;
  int64_t port_id = 0;
};

struct Observation {
  model::TimePoint at{};
  std::vector<model::VmInfo> vms;      // the watched VMs as vCenter reports them
  std::vector<model::HostInfo> hosts;  // hosts the session may touch
  /// The switch port of each watched NIC on its host.
  std::map<HostMac, NicPort> ports;

  const model::HostInfo* host(const model::MoRef& ref) const {
    for (const auto& h : hosts)
      if (h.ref == ref) return &h;
    return nullptr;
  }
  const model::HostInfo* host_by_name(const std::string& name) const {
    for (const auto& h : hosts)
      if (h.name == name || h.ref.value == name || h.mgmt_address == name) return &h;
    return nullptr;
  }
  NicPort port(const model::MoRef& host_ref, const model::Mac& mac) const {
    auto it = ports.find(HostMac{host_ref, mac});
    return it == ports.end() ? NicPort{} : it->second;
  }
};

}  // namespace vmc::orchestrator
