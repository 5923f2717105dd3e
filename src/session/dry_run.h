// `capture vm NAME --dry-run`: what a session would do (VM, NICs, host, cluster, DRS
// override, ports, pktcap-uw processes, output) without changing anything. What is
// asked of vCenter and the hosts is gathered first; format_dry_run only prints it.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "model/inventory.h"
#include "model/session_spec.h"
#include "session/global_options.h"

namespace vmc::session {

/// What the hosts said of one NIC's port.
struct DryRunPort {
  bool asked = false;  // the VM runs and its host could be asked
  std::optional<int64_t> port;
  std::string error;   // set: the host could not tell
};

/// What vCenter and the VM's host said of one VM.
struct DryRunVm {
  model::VmInfo vm;
  std::optional<model::HostInfo> host;
  std::optional<model::ClusterInfo> cluster;
  std::string host_error;         // set: the host could not be asked for ports
  std::vector<DryRunPort> ports;  // one per NIC of `vm`, in order
};

/// The report, one line per fact.
std::string format_dry_run(const model::SessionSpec& spec, const std::vector<DryRunVm>& vms);

/// Connects, gathers and prints; returns the exit code.
int dry_run(const model::SessionSpec& spec, const GlobalOptions& g);

}  // namespace vmc::session
