// orchestrator::VCenterApi over vsphere::VCenter: the watched VMs as vCenter reports
// them now, the watcher's events one at a time, host ports, and the DRS override steps.
#pragma once

#include <chrono>
#include <deque>
#include <map>
#include <memory>

#include "orchestrator/seams.h"
#include "vsphere/vcenter.h"

namespace vmc::session {

class VCenterAdapter : public orchestrator::VCenterApi {
 public:
  /// Watches `vms` (one filter for all of them) and `extra_hosts` (uplink targets).
  static Result<std::unique_ptr<VCenterAdapter>> create(vsphere::VCenter& vc,
                                                        std::vector<model::MoRef> vms,
                                                        std::vector<model::MoRef> extra_hosts);

  Result<std::vector<model::VmInfo>> watched_vms() override;
  Result<std::vector<model::HostInfo>> hosts() override;
  Result<std::vector<model::PortInfo>> host_ports(const model::MoRef& host) override;
  Result<std::optional<model::VmEvent>> next_event(std::chrono::milliseconds max_wait) override;
  Result<std::optional<model::DrsVmOverride>> get_override(const model::MoRef& cluster,
                                                           const model::MoRef& vm) override;
  Status set_override(const model::MoRef& cluster, const model::DrsVmOverride& o) override;
  Status remove_override(const model::MoRef& cluster, const model::MoRef& vm) override;

 private:
  VCenterAdapter(vsphere::VCenter& vc, std::vector<model::MoRef> vms,
                 std::vector<model::MoRef> extra_hosts,
                 std::unique_ptr<vsphere::Watcher> watcher);
  vsphere::VCenter& vc_;
  std::vector<model::MoRef> vms_;
  std::vector<model::MoRef> extra_hosts_;
  std::unique_ptr<vsphere::Watcher> watcher_;
  std::deque<model::VmEvent> pending_;
  using Clock = std::chrono::steady_clock;
  /// The host as last read, re-read after kHostTtl (names, addresses and uplinks
  /// rarely change; reading them at every pass would cost a round trip per host).
  Result<model::HostInfo> host(const model::MoRef& ref, Clock::time_point now);
  /// The hosts of the cluster, re-read after kHostTtl; empty when unknown.
  std::vector<model::MoRef> cluster_hosts(const model::MoRef& cluster, Clock::time_point now);

  static constexpr std::chrono::seconds kHostTtl{30};
  std::vector<model::MoRef> known_hosts_;  // every host a watched VM was seen on
  std::vector<model::MoRef> removed_;      // VMs vCenter no longer knows
  std::map<model::MoRef, std::pair<model::HostInfo, Clock::time_point>> host_cache_;
  std::map<model::MoRef, std::pair<std::vector<model::MoRef>, Clock::time_point>> cluster_cache_;
};

}  // namespace vmc::session
