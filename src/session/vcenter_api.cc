#include "session/vcenter_api.h"

#include <algorithm>

namespace vmc::session {

Result<std::unique_ptr<VCenterAdapter>> VCenterAdapter::create(vsphere::VCenter& vc,
                                                               std::vector<model::MoRef> vms,
                                                               std::vector<model::MoRef> extra_hosts) {
  std::unique_ptr<vsphere::Watcher> watcher;
  if (!vms.empty()) {  // cleanup needs no watcher: only host and DRS calls
    auto w = vc.watch(vms);
    if (!w.ok()) return w.error();
    watcher = std::move(*w);
  }
  return std::unique_ptr<VCenterAdapter>(
      new VCenterAdapter(vc, std::move(vms), std::move(extra_hosts), std::move(watcher)));
}

VCenterAdapter::VCenterAdapter(vsphere::VCenter& vc, std::vector<model::MoRef> vms,
                               std::vector<model::MoRef> extra_hosts,
                               std::unique_ptr<vsphere::Watcher> watcher)
    : vc_(vc), vms_(std::move(vms)), extra_hosts_(std::move(extra_hosts)),
      watcher_(std::move(watcher)) {}

Result<std::vector<model::VmInfo>> VCenterAdapter::watched_vms() {
  std::vector<model::VmInfo> out;
  for (const auto& ref : vms_) {
    if (std::find(removed_.begin(), removed_.end(), ref) != removed_.end()) continue;
    auto vm = vc_.vm_info(ref);
    if (!vm.ok()) {
      if (vm.error().is(ErrorKind::NotFound)) {
        removed_.push_back(ref);  // deleted while captured: its pins stop
        continue;
      }
      return vm.error();
    }
    if (!vm->host.empty() &&
        std::find(known_hosts_.begin(), known_hosts_.end(), vm->host) == known_hosts_.end()) {
      known_hosts_.push_back(vm->host);
    }
    out.push_back(std::move(*vm));
  }
  return out;
}

Result<std::vector<model::HostInfo>> VCenterAdapter::hosts() {
  const auto now = Clock::now();
  std::vector<model::MoRef> refs = known_hosts_;
  for (const auto& h : extra_hosts_) {
    if (std::find(refs.begin(), refs.end(), h) == refs.end()) refs.push_back(h);
  }
  std::vector<model::HostInfo> out;
  for (const auto& ref : refs) {
    auto h = host(ref, now);
    if (!h.ok()) return h.error();
    out.push_back(std::move(*h));
  }
  // The other hosts of the VMs' clusters: where a vMotion, DRS or HA restart takes them.
  // Knowing them early lets their SSH connections be made before a move needs them; a
  // peer that cannot be read now is only left out.
  const size_t own = out.size();
  for (size_t i = 0; i < own; ++i) {
    if (out[i].cluster.empty()) continue;
    for (const auto& peer : cluster_hosts(out[i].cluster, now)) {
      if (std::find(refs.begin(), refs.end(), peer) != refs.end()) continue;
      refs.push_back(peer);
      if (auto h = host(peer, now); h.ok()) out.push_back(std::move(*h));
    }
  }
  return out;
}

Result<model::HostInfo> VCenterAdapter::host(const model::MoRef& ref, Clock::time_point now) {
  if (auto it = host_cache_.find(ref); it != host_cache_.end() && now - it->second.second < kHostTtl)
    return it->second.first;
  auto h = vc_.host_info(ref);
  if (!h.ok()) return h.error();
  host_cache_[ref] = {*h, now};
  return h;
}

std::vector<model::MoRef> VCenterAdapter::cluster_hosts(const model::MoRef& cluster,
                                                        Clock::time_point now) {
  if (auto it = cluster_cache_.find(cluster);
      it != cluster_cache_.end() && now - it->second.second < kHostTtl)
    return it->second.first;
  auto c = vc_.cluster_info(cluster);
  std::vector<model::MoRef> hosts = c.ok() ? c->hosts : std::vector<model::MoRef>{};
  cluster_cache_[cluster] = {hosts, now};
  return hosts;
}

Result<std::vector<model::PortInfo>> VCenterAdapter::host_ports(const model::MoRef& host) {
  return vc_.host_ports(host);
}

Result<std::optional<model::VmEvent>> VCenterAdapter::next_event(std::chrono::milliseconds max_wait) {
  // A zero wait takes only what the last reply already brought: asking vCenter again
  // would cost a round trip (and the govmomi simulator answers MaxWaitSeconds=0 only
  // after its batching delay) on the re-pin path, right after an event.
  if (pending_.empty() && watcher_ && max_wait.count() > 0) {
    // WaitForUpdatesEx waits in whole seconds.
    auto secs = std::chrono::duration_cast<std::chrono::seconds>(max_wait + std::chrono::milliseconds(999));
    auto evs = watcher_->next_events(secs);
    if (!evs.ok()) return evs.error();
    for (auto& e : *evs) pending_.push_back(std::move(e));
  }
  if (pending_.empty()) return std::optional<model::VmEvent>();
  auto e = std::move(pending_.front());
  pending_.pop_front();
  return std::optional<model::VmEvent>(std::move(e));
}

Result<std::optional<model::DrsVmOverride>> VCenterAdapter::get_override(const model::MoRef& cluster,
                                                                         const model::MoRef& vm) {
  auto c = vc_.cluster_info(cluster);
  if (!c.ok()) return c.error();
  for (const auto& o : c->overrides) {
    if (o.vm == vm) return std::optional<model::DrsVmOverride>(o);
  }
  return std::optional<model::DrsVmOverride>();
}

Status VCenterAdapter::set_override(const model::MoRef& cluster, const model::DrsVmOverride& o) {
  auto existing = get_override(cluster, o.vm);
  if (!existing.ok()) return existing.error();
  return vc_.apply(cluster, existing->has_value() ? "edit" : "add", o);
}

Status VCenterAdapter::remove_override(const model::MoRef& cluster, const model::MoRef& vm) {
  model::DrsVmOverride o;
  o.vm = vm;
  return vc_.apply(cluster, "remove", o);
}

}  // namespace vmc::session
