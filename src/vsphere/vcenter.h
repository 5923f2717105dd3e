// The vCenter side of vm-capture as plain C++: connect, look VMs/hosts/clusters up,
// set and restore the DRS override, and watch VMs. No gSOAP type appears here; the
// orchestrator's adapters build on this class.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "model/events.h"
#include "model/inventory.h"
#include "util/result.h"
#include "vsphere/connect_options.h"
#include "vsphere/drs_override.h"
#include "vsphere/http_wire.h"
#include "vsphere/sleeper.h"
#include "vsphere/types.h"

namespace vmc::vsphere {

class Watcher;

class VCenter : public ClusterDrsApi {
 public:
  /// Logs in (see Session: TLS is verified before the password is sent). `wire` and
  /// `sleeper` are seams for tests; both default to the real thing.
  static Result<std::unique_ptr<VCenter>> connect(const ConnectOptions& options,
                                                  HttpWire* wire = nullptr,
                                                  Sleeper* sleeper = nullptr);
  ~VCenter() override;

  const ServiceInfo& service() const;

  /// A VM by name, inventory path ("/dc1/vm/folder/x"), managed object id ("vm-42" or
  /// "VirtualMachine:vm-42") or NIC MAC. An ambiguous name is an error ("vm.ambiguous")
  /// listing every candidate with its path; none is "vm.not-found".
  Result<model::VmInfo> find_vm(const std::string& spec);
  Result<model::VmInfo> vm_info(const model::MoRef& vm);
  Result<model::HostInfo> host_info(const model::MoRef& host);
  /// Virtual switch ports of a host (config.network.portgroup[].port[]).
  Result<std::vector<model::PortInfo>> host_ports(const model::MoRef& host);
  Result<model::ClusterInfo> cluster_info(const model::MoRef& cluster);
  Result<model::DatastoreInfo> datastore_info(const model::MoRef& datastore);
  /// "/dc1/vm/folder/name" of any managed entity.
  Result<std::string> inventory_path(const model::MoRef& entity);

  /// Waits until a Task finishes; its fault becomes the Error (code = fault type).
  Status wait_task(const model::MoRef& task, std::chrono::seconds limit = std::chrono::minutes(10));

  // ClusterDrsApi, for DrsOverride.
  Result<model::ClusterInfo> read_cluster(const model::MoRef& cluster) override {
    return cluster_info(cluster);
  }
  Status apply(const model::MoRef& cluster, const std::string& operation,
               const model::DrsVmOverride& info) override;

  /// Starts watching `vms` (one PropertyCollector filter and one event collector for
  /// all of them). The Watcher uses this VCenter's session; keep the VCenter alive.
  Result<std::unique_ptr<Watcher>> watch(const std::vector<model::MoRef>& vms);

  Status logout();

  struct Impl;
  Impl& impl() { return *impl_; }

 private:
  explicit VCenter(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

/// Follows watched VMs: each call waits up to `timeout` for vCenter to report changes
/// and returns them as ordered plain events (possibly none). After a reconnect it
/// rebuilds its filter and collector and reports Resynced for every VM.
class Watcher {
 public:
  virtual ~Watcher() = default;
  virtual Result<std::vector<model::VmEvent>> next_events(std::chrono::seconds timeout) = 0;
};

}  // namespace vmc::vsphere
