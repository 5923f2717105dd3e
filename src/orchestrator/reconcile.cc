#include "orchestrator/reconcile.h"

#include <algorithm>
#include <map>
#include <set>

namespace vmc::orchestrator {

using model::Direction;
using model::MoRef;

const char* to_string(ActionKind k) {
  switch (k) {
    case ActionKind::Comment: return "comment";
    case ActionKind::SetOverride: return "set-override";
    case ActionKind::StartPin: return "start";
    case ActionKind::StartBridge: return "start-bridge";
    case ActionKind::StopBridge: return "stop-bridge";
    case ActionKind::StopPin: return "stop";
    case ActionKind::RestoreOverride: return "restore-override";
  }
  return "unknown";
}

std::string Action::to_string() const {
  std::string s = orchestrator::to_string(kind);
  switch (kind) {
    case ActionKind::Comment:
      return s + " " + reason;
    case ActionKind::SetOverride:
    case ActionKind::RestoreOverride:
      return s + " " + cluster.value + " " + vm.value;
    default:
      return s + " " + pin.name();
  }
}

std::vector<Direction> directions_for(Direction wanted, const std::string& version) {
  if (wanted != Direction::Both) return {wanted};
  if (model::supports_dir_both(version)) return {Direction::Both};
  return {Direction::In, Direction::Out};
}

bool target_matches(const model::VmTarget& target, const model::VmInfo& vm) {
  if (target.vm.empty()) return false;
  if (target.vm == vm.name || target.vm == vm.path || target.vm == vm.ref.value) return true;
  const auto mac = model::Mac::parse(target.vm);
  if (!mac) return false;
  for (const auto& nic : vm.nics)
    if (model::Mac::parse(nic.mac) == mac) return true;
  return false;
}

std::vector<model::NicInfo> selected_nics(const model::VmTarget& target,
                                          const model::VmInfo& vm) {
  if (target.nics.empty()) return vm.nics;
  std::vector<model::NicInfo> out;
  for (const auto& nic : vm.nics) {
    for (const auto& want : target.nics) {
      const auto mac = model::Mac::parse(want);
      if (want == nic.label || (mac && mac == model::Mac::parse(nic.mac))) {
        out.push_back(nic);
        break;
      }
    }
  }
  return out;
}

std::string start_reason(const Pin& p, const std::vector<std::string>& from) {
  const std::string who = (p.vm_name.empty() ? p.vm.value : p.vm_name) + " " + p.mac.str();
  if (from.empty()) return "capture " + who;
  std::string s = "re-pin " + who + " from";
  for (const auto& o : from) s += " " + o;
  return s;
}

namespace {

struct OverrideKey {
  MoRef cluster;
  MoRef vm;
  friend auto operator<=>(const OverrideKey&, const OverrideKey&) = default;
};

// A pin wanted, why, and for a VM port the pins of its NIC it replaces.
struct Want {
  Pin pin;
  std::string reason;
  std::vector<std::string> repin_from;
};

// Accumulates the desired state in a deterministic order.
class Desired {
 public:
  void add(const Pin& p, std::string reason, std::vector<std::string> repin_from = {}) {
    if (keys_.insert(p.key()).second) pins_.push_back({p, std::move(reason), std::move(repin_from)});
  }
  bool has(const Pin& p) const { return keys_.count(p.key()) != 0; }
  const std::vector<Want>& pins() const { return pins_; }

  std::vector<std::string> comments;
  std::vector<std::pair<OverrideKey, std::string>> overrides;  // with the VM name

 private:
  std::set<std::string> keys_;
  std::vector<Want> pins_;
};

model::Mac mac_of(const model::NicInfo& nic) { return model::Mac::parse(nic.mac).value_or(model::Mac()); }

bool same_nic(const Pin& p, const MoRef& vm, const model::Mac& mac) {
  return p.kind != PinKind::Uplink && p.vm == vm && p.mac == mac;
}

bool is_running(const Running& running, const Pin& p) {
  return std::any_of(running.pins.begin(), running.pins.end(),
                     [&](const Pin& r) { return r.key() == p.key(); });
}

Pin nic_pin(PinKind kind, const model::HostInfo& host, const model::VmInfo& vm,
            const model::NicInfo& nic, Direction dir) {
  Pin p;
  p.kind = kind;
  p.host = host.ref;
  p.host_name = host.name;
  p.dir = dir;
  p.vm = vm.ref;
  p.vm_name = vm.name;
  p.mac = mac_of(nic);
  p.nic_label = nic.label;
  return p;
}

// The NIC's port pins running now that a new port pin `p` replaces.
std::vector<std::string> replaced_port_pins(const Running& running, const Pin& p) {
  std::vector<std::string> old;
  for (const auto& r : running.pins)
    if (r.kind == PinKind::VmPort && same_nic(r, p.vm, p.mac) && r.key() != p.key())
      old.push_back(r.name());
  return old;
}

void want_vm_nic(const model::SessionSpec& spec, const Observation& obs, const Running& running,
                 const model::VmInfo& vm, const model::HostInfo& host,
                 const model::NicInfo& nic, Desired& desired) {
  const model::Mac mac = mac_of(nic);
  const NicPort port = obs.port(host.ref, mac);
  const auto dirs = directions_for(spec.direction, host.version);
  const std::string who = vm.name + " " + mac.str();

  auto want_bridges = [&](const std::string& why) {
    if (!spec.bridge.enabled) return;
    if (host.uplinks.empty()) {
      desired.comments.push_back("cannot bridge " + who + " on " + host.name +
                                 ": the host lists no uplinks");
      return;
    }
    for (const auto& uplink : host.uplinks) {
      for (Direction d : dirs) {
        Pin b = nic_pin(PinKind::Bridge, host, vm, nic, d);
        b.uplink = uplink;
        desired.add(b, why);
      }
    }
  };

  switch (port.state) {
    case NicPort::State::Known: {
      bool all_port_pins_running = true;
      for (Direction d : dirs) {
        Pin p = nic_pin(PinKind::VmPort, host, vm, nic, d);
        p.port_id = port.port_id;
        if (!is_running(running, p)) all_port_pins_running = false;
        auto old = replaced_port_pins(running, p);
        desired.add(p, start_reason(p, old), old);
      }
      // A running bridge stays until the port capture runs (it may fail to start).
      if (!all_port_pins_running) {
        for (const auto& r : running.pins)
          if (r.kind == PinKind::Bridge && same_nic(r, vm.ref, mac) && r.host == host.ref)
            desired.add(r, "keep the bridge until the port capture runs");
      }
      break;
    }
    case NicPort::State::Absent:
      want_bridges("port of " + who + " on " + host.name + " not known yet");
      break;
    case NicPort::State::Unresolved: {
      bool kept = false;
      for (const auto& r : running.pins) {
        if (same_nic(r, vm.ref, mac) && r.host == host.ref) {
          desired.add(r, "keep: the port of " + who + " could not be checked");
          kept = true;
        }
      }
      if (!kept) want_bridges("port of " + who + " on " + host.name + " could not be resolved");
      break;
    }
  }
}

void want_vm(const model::SessionSpec& spec, const Observation& obs, const Running& running,
             const model::VmTarget& target, const model::VmInfo& vm, Desired& desired) {
  if (spec.drs.enabled && !vm.cluster.empty())
    desired.overrides.push_back({OverrideKey{vm.cluster, vm.ref}, vm.name});
  if (vm.power != model::PowerState::On) return;
  const model::HostInfo* host = obs.host(vm.host);
  if (host == nullptr) {
    desired.comments.push_back(vm.name + " runs on " + vm.host.value +
                               ", which vCenter did not describe; keeping its captures");
    for (const auto& r : running.pins)
      if (r.vm == vm.ref) desired.add(r, "keep: host not described");
    return;
  }
  for (const auto& nic : selected_nics(target, vm))
    if (nic.connected)  // a disconnected vNIC has no port and carries nothing
      want_vm_nic(spec, obs, running, vm, *host, nic, desired);
}

void want_uplinks(const model::SessionSpec& spec, const Observation& obs,
                  const model::UplinkTarget& target, Desired& desired) {
  const model::HostInfo* host = obs.host_by_name(target.host);
  if (host == nullptr) {
    desired.comments.push_back("uplink target: no host named '" + target.host + "'");
    return;
  }
  std::vector<std::string> uplinks = target.uplinks;
  if (!target.lag.empty()) {
    auto lag = std::find_if(host->lags.begin(), host->lags.end(),
                            [&](const model::LagInfo& l) { return l.name == target.lag; });
    if (lag == host->lags.end()) {
      desired.comments.push_back("uplink target: host " + host->name + " has no LAG or team '" +
                                 target.lag + "'");
    } else {
      uplinks.insert(uplinks.end(), lag->uplinks.begin(), lag->uplinks.end());
    }
  }
  for (const auto& uplink : uplinks) {
    for (Direction d : directions_for(spec.direction, host->version)) {
      Pin p;
      p.kind = PinKind::Uplink;
      p.host = host->ref;
      p.host_name = host->name;
      p.uplink = uplink;
      p.dir = d;
      desired.add(p, "capture uplink " + uplink + " of " + host->name);
    }
  }
}

// Why a running pin is no longer wanted, in the user's terms.
std::string stop_reason(const Observation& obs, const Desired& desired, const Pin& r) {
  if (r.kind == PinKind::Uplink) return "uplink no longer targeted";
  auto vm = std::find_if(obs.vms.begin(), obs.vms.end(),
                         [&](const model::VmInfo& v) { return v.ref == r.vm; });
  const std::string who = (r.vm_name.empty() ? r.vm.value : r.vm_name);
  if (vm == obs.vms.end()) return who + " is no longer watched";
  if (vm->power != model::PowerState::On)
    return who + " is " + model::to_string(vm->power);
  if (vm->host != r.host) {
    const model::HostInfo* h = obs.host(vm->host);
    return who + " moved to " + (h != nullptr ? h->name : vm->host.value);
  }
  auto nic = std::find_if(vm->nics.begin(), vm->nics.end(), [&](const model::NicInfo& n) {
    return mac_of(n) == r.mac;
  });
  if (nic == vm->nics.end()) return "NIC " + r.mac.str() + " of " + who + " removed";
  if (!nic->connected) return "NIC " + r.mac.str() + " of " + who + " disconnected";
  for (const auto& [p, why, from] : desired.pins())
    if (p.kind == PinKind::VmPort && same_nic(p, r.vm, r.mac) && p.host == r.host) {
      if (r.kind == PinKind::Bridge) return "port capture of " + who + " " + r.mac.str() + " runs";
      if (p.port_id != r.port_id)
        return "port of " + who + " " + r.mac.str() + " changed from " + std::to_string(r.port_id) +
               " to " + std::to_string(p.port_id);
      return "direction layout changed";
    }
  if (r.kind == PinKind::VmPort) return "port " + std::to_string(r.port_id) + " of " + who + " is gone";
  return "no longer needed";
}

}  // namespace

std::vector<Action> reconcile(const model::SessionSpec& spec, const Observation& obs,
                              const Running& running) {
  Desired desired;
  std::set<MoRef> seen_vms;
  for (const auto& target : spec.vms) {
    bool any = false;
    for (const auto& vm : obs.vms) {
      if (!target_matches(target, vm)) continue;
      any = true;
      if (!seen_vms.insert(vm.ref).second && target.nics.empty()) continue;
      want_vm(spec, obs, running, target, vm, desired);
    }
    if (!any) desired.comments.push_back("no watched VM matches '" + target.vm + "'");
  }
  for (const auto& target : spec.uplinks) want_uplinks(spec, obs, target, desired);

  std::vector<Action> out;
  for (const auto& c : desired.comments) {
    Action a;
    a.kind = ActionKind::Comment;
    a.reason = c;
    out.push_back(a);
  }

  std::set<OverrideKey> wanted_overrides;
  for (const auto& [key_binding, name] : desired.overrides) {
    const OverrideKey& key = key_binding;  // a lambda may not capture a structured binding (clang 14)
    if (!wanted_overrides.insert(key).second) continue;
    bool held = std::any_of(running.overrides.begin(), running.overrides.end(),
                            [&](const HeldOverride& h) { return h.cluster == key.cluster && h.vm == key.vm; });
    if (held) continue;
    Action a;
    a.kind = ActionKind::SetOverride;
    a.cluster = key.cluster;
    a.vm = key.vm;
    a.vm_name = name;
    a.reason = "DRS override '" + spec.drs.behavior + "' for " + name + " during the capture";
    out.push_back(a);
  }

  for (int pass = 0; pass < 2; ++pass) {  // port and uplink pins first, then bridges
    for (const auto& want : desired.pins()) {
      const Pin& pin = want.pin;
      if ((pin.kind == PinKind::Bridge) != (pass == 1) || is_running(running, pin)) continue;
      Action a;
      a.kind = pin.kind == PinKind::Bridge ? ActionKind::StartBridge : ActionKind::StartPin;
      a.pin = pin;
      a.vm = pin.vm;
      a.vm_name = pin.vm_name;
      a.reason = want.reason;
      a.repin_from = want.repin_from;
      out.push_back(a);
    }
  }

  for (const auto& r : running.pins) {
    if (desired.has(r)) continue;
    Action a;
    a.kind = r.kind == PinKind::Bridge ? ActionKind::StopBridge : ActionKind::StopPin;
    a.pin = r;
    a.vm = r.vm;
    a.vm_name = r.vm_name;
    a.reason = stop_reason(obs, desired, r);
    out.push_back(a);
  }

  for (const auto& h : running.overrides) {
    bool wanted = wanted_overrides.count(OverrideKey{h.cluster, h.vm}) != 0;
    if (wanted) continue;
    // An unobserved VM keeps its override until teardown: it may only be a blip.
    auto vm = std::find_if(obs.vms.begin(), obs.vms.end(),
                           [&](const model::VmInfo& v) { return v.ref == h.vm; });
    if (spec.drs.enabled && vm == obs.vms.end()) continue;
    Action a;
    a.kind = ActionKind::RestoreOverride;
    a.cluster = h.cluster;
    a.vm = h.vm;
    a.vm_name = h.vm_name;
    a.reason = !spec.drs.enabled ? "the DRS policy is off"
                                 : h.vm_name + " left cluster " + h.cluster.value;
    out.push_back(a);
  }
  return out;
}

std::vector<Action> teardown(const Running& running, const std::string& reason) {
  std::vector<Action> out;
  for (const auto& r : running.pins) {
    Action a;
    a.kind = r.kind == PinKind::Bridge ? ActionKind::StopBridge : ActionKind::StopPin;
    a.pin = r;
    a.vm = r.vm;
    a.vm_name = r.vm_name;
    a.reason = reason;
    out.push_back(a);
  }
  for (const auto& h : running.overrides) {
    Action a;
    a.kind = ActionKind::RestoreOverride;
    a.cluster = h.cluster;
    a.vm = h.vm;
    a.vm_name = h.vm_name;
    a.reason = reason;
    out.push_back(a);
  }
  return out;
}

}  // namespace vmc::orchestrator
