#include "vsphere/watch_updates.h"

#include <algorithm>

#include "vsphere/datetime.h"
#include "vsphere/vim_client.h"
#include "vsphere/vim_convert.h"
#include "vsphere/vim_types.h"

namespace vmc::vsphere {
namespace {

model::MoRef host_arg(const vim25__HostEventArgument* a) { return a ? to_moref(a->host) : model::MoRef{}; }

}  // namespace

RawEvent raw_event(const vim25__Event& e) {
  RawEvent r;
  r.key = e.key;
  r.type = std::string(vim_type_name(&e));
  if (auto t = parse_datetime(e.createdTime)) r.created = *t;
  if (e.vm) {
    r.vm = to_moref(e.vm->vm);
    r.vm_name = e.vm->name;
  }
  r.host = host_arg(e.host);
  if (e.fullFormattedMessage) r.message = *e.fullFormattedMessage;
  switch (e.soap_type()) {
    case SOAP_TYPE_vim25__VmMigratedEvent:
    case SOAP_TYPE_vim25__DrsVmMigratedEvent:
      r.source_host = host_arg(static_cast<const vim25__VmMigratedEvent&>(e).sourceHost);
      break;
    case SOAP_TYPE_vim25__VmRelocatedEvent:
      r.source_host = host_arg(static_cast<const vim25__VmRelocatedEvent&>(e).sourceHost);
      break;
    case SOAP_TYPE_vim25__VmRestartedOnAlternateHostEvent:
      r.source_host = host_arg(static_cast<const vim25__VmRestartedOnAlternateHostEvent&>(e).sourceHost);
      break;
    case SOAP_TYPE_vim25__VmBeingHotMigratedEvent:
      r.dest_host = host_arg(static_cast<const vim25__VmBeingHotMigratedEvent&>(e).destHost);
      break;
    case SOAP_TYPE_vim25__EventEx:
      r.event_type_id = static_cast<const vim25__EventEx&>(e).eventTypeId;
      break;
    default:
      break;
  }
  return r;
}

UpdateBatch batch_from_update(const vim25__UpdateSet& update) {
  UpdateBatch b;
  for (const auto* fu : update.filterSet) {
    if (!fu) continue;
    for (const auto* ou : fu->objectSet) {
      if (!ou || !ou->obj) continue;
      const model::MoRef obj = to_moref(ou->obj);
      if (obj.type == "VirtualMachine") {
        VmObservation o;
        o.vm = obj;
        o.removed = ou->kind == "leave";
        for (const auto* c : ou->changeSet) {
          if (!c) continue;
          const bool gone = c->op == "remove" || c->op == "indirectRemove" || !c->val;
          if (c->name == "name") {
            if (auto s = string_value(c->val)) o.name = *s;
          } else if (c->name == "runtime.host") {
            o.host = gone ? model::MoRef{} : moref_value(c->val).value_or(model::MoRef{});
          } else if (c->name == "runtime.powerState") {
            if (auto s = string_value(c->val)) o.power = power_state_from(*s);
          } else if (c->name == "runtime.bootTime") {
            std::optional<model::TimePoint> t;
            if (auto s = string_value(c->val); s && !gone) t = parse_datetime(*s);
            o.boot_time = t;
          } else if (c->name == "config.hardware.device") {
            o.nics = nics_from_devices(devices_value(c->val));
          }
        }
        b.vms.push_back(std::move(o));
      } else if (obj.type == "HostSystem") {
        for (const auto* c : ou->changeSet) {
          if (c && c->name == "config.network.portgroup") {
            b.host_ports.emplace_back(obj, ports_from_portgroups(portgroups_value(c->val)));
          }
        }
      } else if (obj.type == "EventHistoryCollector") {
        for (const auto* c : ou->changeSet) {
          if (!c || c->name != "latestPage") continue;
          b.saw_event_page = true;
          if (c->val && c->val->soap_type() == SOAP_TYPE_vim25__ArrayOfEvent) {
            for (const auto* e : static_cast<const vim25__ArrayOfEvent*>(c->val)->Event) {
              if (e) b.events.push_back(raw_event(*e));
            }
          }
        }
      }
    }
  }
  std::stable_sort(b.events.begin(), b.events.end(),
                   [](const RawEvent& x, const RawEvent& y) { return x.key < y.key; });
  return b;
}

}  // namespace vmc::vsphere
