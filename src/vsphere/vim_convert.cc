#include "vsphere/vim_convert.h"

#include <cctype>
#include <charconv>
#include <map>

#include "model/mac.h"
#include "vsphere/vim_client.h"

namespace vmc::vsphere {
namespace {

template <typename T>
const T* as(const xsd__anyType* v, long type_id) {
  return v && v->soap_type() == type_id ? static_cast<const T*>(v) : nullptr;
}

bool is_ethernet_card(long t) {
  switch (t) {
    case SOAP_TYPE_vim25__VirtualEthernetCard:
    case SOAP_TYPE_vim25__VirtualE1000:
    case SOAP_TYPE_vim25__VirtualE1000e:
    case SOAP_TYPE_vim25__VirtualPCNet32:
    case SOAP_TYPE_vim25__VirtualVmxnet:
    case SOAP_TYPE_vim25__VirtualVmxnet2:
    case SOAP_TYPE_vim25__VirtualVmxnet3:
    case SOAP_TYPE_vim25__VirtualVmxnet3Vrdma:
    case SOAP_TYPE_vim25__VirtualSriovEthernetCard:
      return true;
    default:
      return false;
  }
}

}  // namespace

std::optional<std::string> string_value(const xsd__anyType* v) {
  if (!v) return std::nullopt;
  switch (v->soap_type()) {
    case SOAP_TYPE_xsd__string_:
      return static_cast<const xsd__string_*>(v)->__item;
    case SOAP_TYPE_xsd__dateTime__:
      return static_cast<const xsd__dateTime__*>(v)->__item;
    case SOAP_TYPE_xsd__anyURI__:
      return static_cast<const xsd__anyURI__*>(v)->__item;
    case SOAP_TYPE_vim25__VirtualMachinePowerState__:
      return static_cast<const vim25__VirtualMachinePowerState__*>(v)->__item;
    case SOAP_TYPE_vim25__VirtualMachineConnectionState__:
      return static_cast<const vim25__VirtualMachineConnectionState__*>(v)->__item;
    case SOAP_TYPE_vim25__HostSystemConnectionState__:
      return static_cast<const vim25__HostSystemConnectionState__*>(v)->__item;
    case SOAP_TYPE_vim25__HostSystemPowerState__:
      return static_cast<const vim25__HostSystemPowerState__*>(v)->__item;
    case SOAP_TYPE_vim25__TaskInfoState__:
      return static_cast<const vim25__TaskInfoState__*>(v)->__item;
    case SOAP_TYPE_vim25__ManagedEntityStatus__:
      return static_cast<const vim25__ManagedEntityStatus__*>(v)->__item;
    case SOAP_TYPE_vim25__DrsBehavior__:
      return static_cast<const vim25__DrsBehavior__*>(v)->__item;
    case SOAP_TYPE_xsd__anyType:
      // An xsi:type the subset does not declare (a newer enum, say): its text.
      return v->__item ? std::optional<std::string>(v->__item) : std::nullopt;
    default:
      return std::nullopt;
  }
}

std::optional<bool> bool_value(const xsd__anyType* v) {
  if (auto* b = as<xsd__boolean_>(v, SOAP_TYPE_xsd__boolean_)) return b->__item;
  return std::nullopt;
}

std::optional<int64_t> int_value(const xsd__anyType* v) {
  if (!v) return std::nullopt;
  switch (v->soap_type()) {
    case SOAP_TYPE_xsd__int_:
      return static_cast<const xsd__int_*>(v)->__item;
    case SOAP_TYPE_xsd__long_:
      return static_cast<const xsd__long_*>(v)->__item;
    case SOAP_TYPE_xsd__short_:
      return static_cast<const xsd__short_*>(v)->__item;
    case SOAP_TYPE_xsd__byte__:
      return static_cast<const xsd__byte__*>(v)->__item;
    default:
      return std::nullopt;
  }
}

std::optional<model::MoRef> moref_value(const xsd__anyType* v) {
  if (auto* m = as<vim25__ManagedObjectReference>(v, SOAP_TYPE_vim25__ManagedObjectReference)) {
    return to_moref(m);
  }
  return std::nullopt;
}

std::vector<model::MoRef> moref_array_value(const xsd__anyType* v) {
  std::vector<model::MoRef> out;
  if (auto* a = as<vim25__ArrayOfManagedObjectReference>(
          v, SOAP_TYPE_vim25__ArrayOfManagedObjectReference)) {
    for (auto* m : a->ManagedObjectReference) {
      if (m) out.push_back(to_moref(m));
    }
  }
  return out;
}

std::vector<const vim25__VirtualDevice*> devices_value(const xsd__anyType* v) {
  std::vector<const vim25__VirtualDevice*> out;
  const std::vector<vim25__VirtualDevice*>* list = nullptr;
  if (auto* a = as<vim25__ArrayOfVirtualDevice>(v, SOAP_TYPE_vim25__ArrayOfVirtualDevice)) {
    list = &a->VirtualDevice;
  } else if (auto* h = as<vim25__VirtualHardware>(v, SOAP_TYPE_vim25__VirtualHardware)) {
    list = &h->device;
  } else if (auto* c = as<vim25__VirtualMachineConfigInfo>(
                 v, SOAP_TYPE_vim25__VirtualMachineConfigInfo)) {
    if (c->hardware) list = &c->hardware->device;
  }
  if (list) {
    for (auto* d : *list) {
      if (d) out.push_back(d);
    }
  }
  return out;
}

const vim25__HostNetworkInfo* network_value(const xsd__anyType* v) {
  if (auto* n = as<vim25__HostNetworkInfo>(v, SOAP_TYPE_vim25__HostNetworkInfo)) return n;
  if (auto* c = as<vim25__HostConfigInfo>(v, SOAP_TYPE_vim25__HostConfigInfo)) return c->network;
  return nullptr;
}

std::vector<const vim25__HostPortGroup*> portgroups_value(const xsd__anyType* v) {
  std::vector<const vim25__HostPortGroup*> out;
  const std::vector<vim25__HostPortGroup*>* list = nullptr;
  if (auto* a = as<vim25__ArrayOfHostPortGroup>(v, SOAP_TYPE_vim25__ArrayOfHostPortGroup)) {
    list = &a->HostPortGroup;
  } else if (auto* n = network_value(v)) {
    list = &n->portgroup;
  }
  if (list) {
    for (auto* g : *list) {
      if (g) out.push_back(g);
    }
  }
  return out;
}

std::string mac_text(const std::string& mac) {
  auto m = model::Mac::parse(mac);
  return m ? m->str() : std::string();
}

std::vector<model::NicInfo> nics_from_devices(
    const std::vector<const vim25__VirtualDevice*>& devices) {
  std::vector<model::NicInfo> out;
  for (const auto* d : devices) {
    if (!d || !is_ethernet_card(d->soap_type())) continue;
    const auto* card = static_cast<const vim25__VirtualEthernetCard*>(d);
    model::NicInfo nic;
    nic.device_key = card->key;
    if (card->deviceInfo) nic.label = card->deviceInfo->label;
    if (card->macAddress) nic.mac = mac_text(*card->macAddress);
    if (card->connectable) nic.connected = card->connectable->connected;
    const vim25__VirtualDeviceBackingInfo* b = card->backing;
    if (b) {
      switch (b->soap_type()) {
        case SOAP_TYPE_vim25__VirtualEthernetCardNetworkBackingInfo:
          nic.network =
              static_cast<const vim25__VirtualEthernetCardNetworkBackingInfo*>(b)->deviceName;
          break;
        case SOAP_TYPE_vim25__VirtualEthernetCardDistributedVirtualPortBackingInfo: {
          const auto* port =
              static_cast<const vim25__VirtualEthernetCardDistributedVirtualPortBackingInfo*>(b)
                  ->port;
          if (port) {
            nic.dvs_uuid = port->switchUuid;
            if (port->portgroupKey) nic.network = *port->portgroupKey;
            if (port->portKey) nic.dvport_key = *port->portKey;
          }
          break;
        }
        case SOAP_TYPE_vim25__VirtualEthernetCardOpaqueNetworkBackingInfo:
          nic.network =
              static_cast<const vim25__VirtualEthernetCardOpaqueNetworkBackingInfo*>(b)
                  ->opaqueNetworkId;
          break;
        default:
          break;
      }
    }
    out.push_back(std::move(nic));
  }
  return out;
}

std::optional<int64_t> port_id_from_key(const std::string& key) {
  constexpr std::string_view kPrefix = "key-vim.host.PortGroup.Port-";
  if (key.size() <= kPrefix.size() || key.compare(0, kPrefix.size(), kPrefix) != 0) {
    return std::nullopt;
  }
  int64_t id = 0;
  const char* first = key.data() + kPrefix.size();
  const char* last = key.data() + key.size();
  auto [ptr, ec] = std::from_chars(first, last, id);
  if (ec != std::errc() || ptr != last || id < 0) return std::nullopt;
  return id;
}

std::vector<model::PortInfo> ports_from_portgroups(
    const std::vector<const vim25__HostPortGroup*>& groups) {
  std::vector<model::PortInfo> out;
  for (const auto* g : groups) {
    if (!g) continue;
    std::string pg = g->spec ? g->spec->name : std::string();
    for (const auto* p : g->port) {
      if (!p || !p->key) continue;
      auto id = port_id_from_key(*p->key);
      if (!id) continue;
      model::PortInfo base;
      base.port_id = *id;
      base.type = p->type;
      base.portgroup = pg;
      if (p->mac.empty()) {
        out.push_back(base);
        continue;
      }
      for (const auto& m : p->mac) {
        model::PortInfo pi = base;
        pi.mac = mac_text(m);
        out.push_back(std::move(pi));
      }
    }
  }
  return out;
}

void fill_host_network(const vim25__HostNetworkInfo& net, model::HostInfo& host) {
  host.uplinks.clear();
  host.lags.clear();
  for (const auto* p : net.pnic) {
    if (p && !p->device.empty()) host.uplinks.push_back(p->device);
  }
  for (const auto* ps : net.proxySwitch) {
    if (!ps) continue;
    // uplink port key -> vmnic, from the pnic backing of the host member.
    std::map<std::string, std::string> vmnic_of_port;
    if (ps->spec && ps->spec->backing &&
        ps->spec->backing->soap_type() == SOAP_TYPE_vim25__DistributedVirtualSwitchHostMemberPnicBacking) {
      const auto* backing =
          static_cast<const vim25__DistributedVirtualSwitchHostMemberPnicBacking*>(ps->spec->backing);
      for (const auto* s : backing->pnicSpec) {
        if (s && s->uplinkPortKey) vmnic_of_port[*s->uplinkPortKey] = s->pnicDevice;
      }
    }
    for (const auto* lag : ps->hostLag) {
      if (!lag) continue;
      model::LagInfo li;
      li.name = lag->lagName ? *lag->lagName : lag->lagKey;
      for (const auto* kv : lag->uplinkPort) {
        if (!kv) continue;
        auto it = vmnic_of_port.find(kv->key);
        if (it != vmnic_of_port.end()) li.uplinks.push_back(it->second);
      }
      host.lags.push_back(std::move(li));
    }
  }
  for (const auto* v : net.vnic) {
    if (v && v->device == "vmk0" && v->spec && v->spec->ip && v->spec->ip->ipAddress &&
        !v->spec->ip->ipAddress->empty()) {
      host.mgmt_address = *v->spec->ip->ipAddress;
    }
  }
}

model::PowerState power_state_from(const std::string& s) {
  if (s == "poweredOn") return model::PowerState::On;
  if (s == "poweredOff") return model::PowerState::Off;
  if (s == "suspended") return model::PowerState::Suspended;
  return model::PowerState::Unknown;
}

void fill_cluster_config(const vim25__ClusterConfigInfoEx& cfg, model::ClusterInfo& out) {
  if (cfg.drsConfig) {
    const auto& d = *cfg.drsConfig;
    out.drs_enabled = d.enabled && *d.enabled;
    out.default_behavior = d.defaultVmBehavior ? *d.defaultVmBehavior : std::string();
    // The API documents enableVmBehaviorOverrides as defaulting to true when unset.
    out.vm_overrides_enabled = !d.enableVmBehaviorOverrides || *d.enableVmBehaviorOverrides;
  }
  out.overrides.clear();
  for (const auto* o : cfg.drsVmConfig) {
    if (!o || !o->key) continue;
    model::DrsVmOverride ov;
    ov.vm = to_moref(o->key);
    if (o->enabled) ov.enabled = *o->enabled;
    if (o->behavior) ov.behavior = *o->behavior;
    out.overrides.push_back(std::move(ov));
  }
}

model::DatastoreInfo datastore_from(const vim25__DatastoreSummary& s) {
  model::DatastoreInfo d;
  d.ref = to_moref(s.datastore);
  d.name = s.name;
  d.url = s.url;
  d.capacity = s.capacity;
  d.free_space = s.freeSpace;
  return d;
}

}  // namespace vmc::vsphere
