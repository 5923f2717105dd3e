#include "vsphere/event_translator.h"

#include <algorithm>

namespace vmc::vsphere {
namespace {

constexpr size_t kMaxRememberedKeys = 10000;

bool macs_equal(const std::vector<model::NicInfo>& a, const std::vector<model::NicInfo>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].device_key != b[i].device_key || a[i].mac != b[i].mac ||
        a[i].network != b[i].network || a[i].dvport_key != b[i].dvport_key) {
      return false;
    }
  }
  return true;
}

std::vector<model::PortInfo> ports_for(const std::vector<model::NicInfo>& nics,
                                       const std::vector<model::PortInfo>& ports) {
  std::vector<model::PortInfo> out;
  for (const auto& p : ports) {
    for (const auto& n : nics) {
      if (!n.mac.empty() && p.mac == n.mac) {
        out.push_back(p);
        break;
      }
    }
  }
  std::sort(out.begin(), out.end(), [](const model::PortInfo& a, const model::PortInfo& b) {
    return a.port_id != b.port_id ? a.port_id < b.port_id : a.mac < b.mac;
  });
  return out;
}

}  // namespace

model::VmEvent EventTranslator::make(model::VmEventKind kind, const model::MoRef& vm,
                                     model::TimePoint at, std::string source,
                                     std::string detail) const {
  model::VmEvent e;
  e.kind = kind;
  e.vm = vm;
  auto it = vms_.find(vm);
  if (it != vms_.end()) e.vm_name = it->second.name;
  e.at = at;
  e.source = std::move(source);
  e.detail = std::move(detail);
  return e;
}

std::vector<model::VmEvent> EventTranslator::observe_vm(const VmObservation& o,
                                                        model::TimePoint at) {
  std::vector<model::VmEvent> out;
  auto& s = vms_[o.vm];
  if (o.name) s.name = *o.name;
  if (o.removed) {
    if (s.seen) out.push_back(make(model::VmEventKind::Removed, o.vm, at, "property:leave"));
    vms_.erase(o.vm);
    return out;
  }
  const bool first = !s.seen;
  s.seen = true;
  if (o.host && *o.host != s.host) {
    if (!first && !s.host.empty() && !o.host->empty()) {
      auto e = make(model::VmEventKind::Moved, o.vm, at, "property:runtime.host");
      e.from_host = s.host;
      e.to_host = *o.host;
      out.push_back(std::move(e));
    }
    s.host = *o.host;
    s.ports.clear();  // ports are per host; the new host's list will follow
  }
  if (o.power && *o.power != s.power) {
    model::PowerState before = s.power;
    s.power = *o.power;
    if (!first && before != model::PowerState::Unknown) {
      if (*o.power == model::PowerState::On) {
        out.push_back(make(model::VmEventKind::PoweredOn, o.vm, at, "property:runtime.powerState"));
      } else if (*o.power == model::PowerState::Off) {
        out.push_back(make(model::VmEventKind::PoweredOff, o.vm, at, "property:runtime.powerState"));
      }
    }
  }
  if (o.boot_time && *o.boot_time != s.boot_time) {
    auto before = s.boot_time;
    s.boot_time = *o.boot_time;
    // A new boot time while the VM stayed on: it restarted between two updates (a reset
    // seen only as its effect). Power transitions already report their own edges.
    bool power_edge = !out.empty() && (out.back().kind == model::VmEventKind::PoweredOn ||
                                       out.back().kind == model::VmEventKind::PoweredOff);
    if (!first && before && *o.boot_time && s.power == model::PowerState::On && !power_edge) {
      out.push_back(make(model::VmEventKind::Reset, o.vm, at, "property:runtime.bootTime"));
    }
  }
  if (o.nics && !macs_equal(*o.nics, s.nics)) {
    s.nics = *o.nics;
    if (!first) out.push_back(make(model::VmEventKind::NicsChanged, o.vm, at,
                                   "property:config.hardware.device"));
  }
  return out;
}

std::vector<model::VmEvent> EventTranslator::observe_host_ports(
    const model::MoRef& host, const std::vector<model::PortInfo>& ports, model::TimePoint at) {
  std::vector<model::VmEvent> out;
  for (auto& [vm, s] : vms_) {
    if (s.host != host || !s.seen) continue;
    auto mine = ports_for(s.nics, ports);
    if (mine != s.ports) {
      s.ports = mine;
      std::string detail;
      for (const auto& p : mine) {
        if (!detail.empty()) detail += ", ";
        detail += p.mac + "@" + std::to_string(p.port_id);
      }
      out.push_back(make(model::VmEventKind::PortsChanged, vm, at,
                         "property:config.network.portgroup",
                         detail.empty() ? "no port" : detail));
    }
  }
  return out;
}

std::vector<model::VmEvent> EventTranslator::observe_event(const RawEvent& e) {
  std::vector<model::VmEvent> out;
  if (seen_keys_.count(e.key)) return out;
  seen_keys_.insert(e.key);
  key_order_.push_back(e.key);
  if (key_order_.size() > kMaxRememberedKeys) {
    seen_keys_.erase(key_order_.front());
    key_order_.erase(key_order_.begin());
  }
  if (e.vm.empty() || !watched(e.vm)) return out;
  auto& s = vms_[e.vm];
  if (!e.vm_name.empty() && s.name.empty()) s.name = e.vm_name;
  const std::string source = "event:" + e.type +
                             (e.event_type_id.empty() ? std::string() : ":" + e.event_type_id);
  auto moved = [&](const model::MoRef& from, const model::MoRef& to) {
    auto m = make(model::VmEventKind::Moved, e.vm, e.created, source, e.message);
    m.from_host = from;
    m.to_host = to;
    out.push_back(std::move(m));
    // Keep the level state in step so the matching runtime.host change is not
    // reported a second time.
    if (!to.empty()) {
      s.host = to;
      s.ports.clear();
    }
  };
  const std::string& t = e.type;
  if (t == "VmResettingEvent" || t == "VmDasBeingResetEvent") {
    out.push_back(make(model::VmEventKind::Reset, e.vm, e.created, source, e.message));
  } else if (t == "VmPoweredOnEvent" || t == "DrsVmPoweredOnEvent") {
    s.power = model::PowerState::On;
    out.push_back(make(model::VmEventKind::PoweredOn, e.vm, e.created, source, e.message));
  } else if (t == "VmRestartedOnAlternateHostEvent") {
    moved(e.source_host, e.host);
    s.power = model::PowerState::On;
    out.push_back(make(model::VmEventKind::PoweredOn, e.vm, e.created, source, e.message));
  } else if (t == "EventEx" && e.event_type_id == "com.vmware.vc.ha.VmRestartedByHAEvent") {
    s.power = model::PowerState::On;
    out.push_back(make(model::VmEventKind::PoweredOn, e.vm, e.created, source, e.message));
  } else if (t == "VmPoweredOffEvent") {
    s.power = model::PowerState::Off;
    out.push_back(make(model::VmEventKind::PoweredOff, e.vm, e.created, source, e.message));
  } else if (t == "VmGuestRebootEvent") {
    out.push_back(make(model::VmEventKind::GuestRebooted, e.vm, e.created, source, e.message));
  } else if (t == "VmMigratedEvent" || t == "DrsVmMigratedEvent" || t == "VmRelocatedEvent") {
    // Skipped when runtime.host already reported this move.
    if (e.host != e.source_host && s.host != e.host) moved(e.source_host, e.host);
  } else if (t == "VmRemovedEvent") {
    out.push_back(make(model::VmEventKind::Removed, e.vm, e.created, source, e.message));
  }
  return out;
}

void EventTranslator::reset_state() { vms_.clear(); }

model::MoRef EventTranslator::host_of(const model::MoRef& vm) const {
  auto it = vms_.find(vm);
  return it == vms_.end() ? model::MoRef{} : it->second.host;
}

void order_events(std::vector<model::VmEvent>& events) {
  std::stable_sort(events.begin(), events.end(),
                   [](const model::VmEvent& a, const model::VmEvent& b) { return a.at < b.at; });
}

}  // namespace vmc::vsphere
