#include "orchestrator/observer.h"

#include <algorithm>

#include "orchestrator/reconcile.h"

namespace vmc::orchestrator {

using namespace std::chrono_literals;

Observer::Observer(const model::SessionSpec& spec, const RuntimeOptions& opt, VCenterApi& vcenter,
                   HostAccess& hosts, SessionRecord& record)
    : spec_(spec), opt_(opt), vcenter_(vcenter), hosts_(hosts), record_(record), events_(opt.settle),
      boots_(opt.boot_window) {}

Status Observer::first_look() {
  auto first = observe();
  if (!first) return first.error().context("first look at the watched VMs");
  seen_ = std::move(first.value());
  for (const auto& t : spec_.vms) {
    bool found = std::any_of(seen_.vms.begin(), seen_.vms.end(),
                             [&](const model::VmInfo& v) { return target_matches(t, v); });
    if (!found)
      return Error("orchestrator.vm-not-found",
                   "no watched VM matches '" + t.vm +
                       "'; check the name, path, id or MAC (`capture vm NAME --dry-run` lists "
                       "what vCenter has)");
  }
  for (const auto& vm : seen_.vms) boots_.on_observed(vm);
  return {};
}

Status Observer::wait_for_events(std::chrono::milliseconds wait) {
  auto ev = vcenter_.next_event(wait);
  if (!ev) {
    if (auto st = vcenter_failed(ev.error()); !st) return st;
    record_.clock().sleep_for(opt_.tick);
    return {};
  }
  if (!ev.value()) return {};
  on_event(*ev.value());
  for (int i = 0; i < 256; ++i) {  // take what else is queued, then look once
    auto more = vcenter_.next_event(0ms);
    if (!more || !more.value()) break;
    on_event(*more.value());
  }
  return {};
}

Status Observer::look() {
  auto o = observe();
  if (!o) return vcenter_failed(o.error());
  vcenter_failing_since_.reset();
  seen_ = std::move(o.value());
  for (const auto& vm : seen_.vms)
    if (boots_.on_observed(vm)) boot_counted();
  return {};
}

Status Observer::vcenter_failed(const Error& e) {
  const auto now = record_.now();
  if (!vcenter_failing_since_) vcenter_failing_since_ = now;
  if (now - *vcenter_failing_since_ >= opt_.vcenter_give_up)
    return e.context("vCenter unreachable for too long");
  return {};
}

bool Observer::targets_gone() const {
  return std::none_of(spec_.vms.begin(), spec_.vms.end(), [&](const model::VmTarget& t) {
    return std::any_of(seen_.vms.begin(), seen_.vms.end(),
                       [&](const model::VmInfo& v) { return target_matches(t, v); });
  });
}

void Observer::boot_counted() {
  last_boot_at_ = record_.now();
  record_.summary().boots = boots_.total();
}

Result<Observation> Observer::observe() {
  auto vms = vcenter_.watched_vms();
  if (!vms) return vms.error();
  auto hosts = vcenter_.hosts();
  if (!hosts) return hosts.error();
  Observation o;
  o.at = record_.now();
  o.vms = std::move(vms.value());
  o.hosts = std::move(hosts.value());
  std::map<model::MoRef, std::vector<model::PortInfo>> api_ports;
  for (const auto& target : spec_.vms) {
    for (const auto& vm : o.vms) {
      if (!target_matches(target, vm) || vm.power != model::PowerState::On) continue;
      const model::HostInfo* host = o.host(vm.host);
      if (host == nullptr) continue;
      const bool settling = events_.settling(vm.ref, o.at);
      for (const auto& nic : selected_nics(target, vm)) {
        const HostMac key{host->ref, model::Mac::parse(nic.mac).value_or(model::Mac())};
        if (o.ports.count(key)) continue;
        if (auto cached = ports_.fresh(key, o.at, opt_.resync); cached && !settling) {
          o.ports[key] = *cached;
          continue;
        }
        o.ports[key] = resolve(*host, key.mac, api_ports);
      }
    }
  }
  return o;
}

NicPort Observer::resolve(const model::HostInfo& host, const model::Mac& mac,
                          std::map<model::MoRef, std::vector<model::PortInfo>>& api_ports) {
  const auto now = record_.now();
  const HostMac key{host.ref, mac};
  if (!api_ports.count(host.ref)) {
    auto listed = vcenter_.host_ports(host.ref);
    api_ports[host.ref] = listed ? std::move(listed.value()) : std::vector<model::PortInfo>{};
  }
  for (const auto& p : api_ports[host.ref])
    if (model::Mac::parse(p.mac) == mac && p.port_id > 0) return ports_.known(key, p.port_id, now);

  ports_.forget(key);
  if (!hosts_.ready(host)) return NicPort{NicPort::State::Unresolved, 0};
  HostControl* hp = hosts_.connect(host);
  if (hp == nullptr) return NicPort{NicPort::State::Unresolved, 0};
  auto port = hp->resolve_port(mac.str());
  if (!port) {
    const std::string retry = hosts_.failed(host);
    record_.comment(port.error().context(host.name + ": finding the port of " + mac.str()).message +
                    retry);
    return NicPort{NicPort::State::Unresolved, 0};
  }
  if (!port.value()) return NicPort{NicPort::State::Absent, 0};
  return ports_.known(key, *port.value(), now);
}

void Observer::on_event(const model::VmEvent& e) {
  const auto now = record_.now();
  record_.summary().events.push_back(e);
  if (boots_.on_event(e)) boot_counted();
  std::string who = e.vm_name.empty() ? e.vm.value : e.vm_name;
  std::string text = std::string(model::to_string(e.kind)) + " (" + e.source + ")";
  if (e.kind == model::VmEventKind::Moved)
    text += " from " + e.from_host.value + " to " + e.to_host.value;
  record_.comment(who + ": " + text + (e.detail.empty() ? "" : ": " + e.detail));
  if (e.kind == model::VmEventKind::GuestRebooted) return;  // same VM process, same port

  std::vector<model::MoRef> vms;
  if (e.kind == model::VmEventKind::Resynced || e.vm.empty()) {
    for (const auto& v : seen_.vms) vms.push_back(v.ref);
    ports_.forget_all();
  } else {
    vms.push_back(e.vm);
  }
  for (const auto& vm : vms) events_.noted(vm, e, text, now);
}

}  // namespace vmc::orchestrator
