#include "vsphere/vcenter.h"

#include <algorithm>
#include <thread>

#include "util/backoff.h"
#include "util/untrusted_text.h"
#include "vsphere/datetime.h"
#include "vsphere/vcenter_impl.h"
#include "vsphere/vim_convert.h"
#include "vsphere/vim_types.h"

namespace vmc::vsphere {
namespace {

bool is_vm_id(const std::string& s) {
  if (s.size() < 4 || s.compare(0, 3, "vm-") != 0) return false;
  return std::all_of(s.begin() + 3, s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

Error not_found(const std::string& what, const std::string& spec) {
  return Error("vm.not-found",
               "no VM " + what + " '" + spec +
                   "' in this vCenter: check the name (names are case-sensitive), "
                   "or give its inventory path or id (vm-NN)",
               ErrorKind::NotFound);
}

}  // namespace

// ---- Impl ----

void VCenter::Impl::sleep(std::chrono::milliseconds d) {
  if (sleeper) {
    sleeper->sleep(d);
  } else {
    std::this_thread::sleep_for(d);
  }
}

Result<std::map<std::string, const xsd__anyType*>> VCenter::Impl::props(
    const model::MoRef& obj, const std::vector<std::string>& paths) {
  auto r = session.run([&](VimClient& v) {
    return v.retrieve(session.service().property_collector,
                      PropertyQuery{{obj}, {}, obj.type, paths});
  });
  if (!r.ok()) return r.error();
  std::map<std::string, const xsd__anyType*> out;
  for (auto* oc : *r) {
    for (auto* p : oc->propSet) {
      if (p) out[p->name] = p->val;
    }
  }
  return out;
}

// ---- VCenter ----

VCenter::VCenter(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
VCenter::~VCenter() = default;

Result<std::unique_ptr<VCenter>> VCenter::connect(const ConnectOptions& options, HttpWire* wire,
                                                  Sleeper* sleeper) {
  auto impl = std::make_unique<Impl>(options, wire, sleeper);
  if (auto st = impl->session.connect(); !st) return st.error();
  return std::unique_ptr<VCenter>(new VCenter(std::move(impl)));
}

const ServiceInfo& VCenter::service() const { return impl_->session.service(); }

Status VCenter::logout() { return impl_->session.logout(); }

Result<std::string> VCenter::inventory_path(const model::MoRef& entity) {
  std::vector<std::string> names;
  model::MoRef cur = entity;
  for (int depth = 0; depth < 64 && !cur.empty(); ++depth) {
    if (cur == service().root_folder) break;
    auto p = impl_->props(cur, {"name", "parent"});
    if (!p.ok()) return p.error();
    auto name = string_value((*p)["name"]);
    names.push_back(name.value_or(cur.value));
    auto parent = moref_value((*p)["parent"]);
    cur = parent.value_or(model::MoRef{});
  }
  std::string path;
  for (auto it = names.rbegin(); it != names.rend(); ++it) path += "/" + *it;
  return path;
}

Result<model::VmInfo> VCenter::vm_info(const model::MoRef& vm) {
  model::VmInfo info;
  info.ref = vm;
  {
    auto p = impl_->props(vm, {"name", "runtime.host", "runtime.powerState", "runtime.bootTime",
                               "config.hardware.device"});
    if (!p.ok()) {
      if (p.error().is(ErrorKind::NotFound)) return not_found("with id", vm.value);
      return p.error();
    }
    info.name = string_value((*p)["name"]).value_or("");
    info.host = moref_value((*p)["runtime.host"]).value_or(model::MoRef{});
    info.power = power_state_from(string_value((*p)["runtime.powerState"]).value_or(""));
    if (auto bt = string_value((*p)["runtime.bootTime"])) info.boot_time = parse_datetime(*bt);
    info.nics = nics_from_devices(devices_value((*p)["config.hardware.device"]));
  }
  if (!info.host.empty()) {
    auto h = impl_->props(info.host, {"name", "parent"});
    if (!h.ok()) return h.error();
    info.host_name = string_value((*h)["name"]).value_or("");
    auto parent = moref_value((*h)["parent"]);
    if (parent && parent->type == "ClusterComputeResource") info.cluster = *parent;
  }
  auto path = inventory_path(vm);
  if (!path.ok()) return path.error();
  info.path = *path;
  return info;
}

Result<model::VmInfo> VCenter::find_vm(const std::string& spec) {
  if (spec.empty()) return Error("vm.not-found", "no VM given");
  // Managed object id.
  std::string id = spec;
  if (id.rfind("VirtualMachine:", 0) == 0) id = id.substr(15);
  if (is_vm_id(id)) return vm_info({"VirtualMachine", id});
  // Inventory path.
  if (spec.find('/') != std::string::npos) {
    std::string path = spec[0] == '/' ? spec.substr(1) : spec;
    auto r = impl_->session.run([&](VimClient& v) {
      return v.find_by_inventory_path(service().search_index, path);
    });
    if (!r.ok()) return r.error();
    if (!r->has_value() || (*r)->type != "VirtualMachine") return not_found("at path", spec);
    return vm_info(**r);
  }
  // NIC MAC or name: one pass over every VM.
  const std::string mac = mac_text(spec);
  const std::vector<std::string> paths =
      mac.empty() ? std::vector<std::string>{"name"} : std::vector<std::string>{"config.hardware.device"};
  std::vector<model::MoRef> matches;
  auto view = impl_->session.run([&](VimClient& v) {
    return v.create_container_view(service().view_manager, service().root_folder,
                                   {"VirtualMachine"}, true);
  });
  if (!view.ok()) return view.error();
  const model::MoRef view_ref = *view;
  auto objs = impl_->session.run([&](VimClient& v) {
    return v.retrieve(service().property_collector,
                      PropertyQuery{{}, view_ref, "VirtualMachine", paths});
  });
  if (objs.ok()) {
    for (auto* oc : *objs) {
      for (auto* p : oc->propSet) {
        bool hit = false;
        if (mac.empty()) {
          hit = p->name == "name" && string_value(p->val) == spec;
        } else {
          for (const auto& n : nics_from_devices(devices_value(p->val))) hit |= n.mac == mac;
        }
        if (hit) matches.push_back(to_moref(oc->obj));
      }
    }
  }
  (void)impl_->session.run([&](VimClient& v) { return v.destroy_view(view_ref); });
  if (!objs.ok()) return objs.error();
  if (matches.empty()) return not_found(mac.empty() ? "named" : "with a NIC of MAC", spec);
  if (matches.size() > 1) {
    std::string list;
    for (const auto& m : matches) {
      auto path = inventory_path(m);
      list += "\n  " + (path.ok() ? *path : std::string("?")) + " (" + m.value + ")";
    }
    return Error("vm.ambiguous", std::to_string(matches.size()) + " VMs " +
                                     (mac.empty() ? "are named '" : "have a NIC with MAC '") + spec +
                                     "'; give the inventory path or id of one of them:" + list);
  }
  return vm_info(matches.front());
}

Result<model::HostInfo> VCenter::host_info(const model::MoRef& host) {
  auto p = impl_->props(host, {"name", "parent", "config.product", "config.network"});
  if (!p.ok()) return p.error();
  model::HostInfo h;
  h.ref = host;
  h.name = string_value((*p)["name"]).value_or("");
  auto parent = moref_value((*p)["parent"]);
  if (parent && parent->type == "ClusterComputeResource") h.cluster = *parent;
  if (const auto* about = (*p)["config.product"];
      about && about->soap_type() == SOAP_TYPE_vim25__AboutInfo) {
    h.version = static_cast<const vim25__AboutInfo*>(about)->version;
  }
  if (const auto* net = network_value((*p)["config.network"])) fill_host_network(*net, h);
  if (h.mgmt_address.empty()) h.mgmt_address = h.name;
  return h;
}

Result<std::vector<model::PortInfo>> VCenter::host_ports(const model::MoRef& host) {
  auto p = impl_->props(host, {"config.network.portgroup"});
  if (!p.ok()) return p.error();
  return ports_from_portgroups(portgroups_value((*p)["config.network.portgroup"]));
}

Result<model::ClusterInfo> VCenter::cluster_info(const model::MoRef& cluster) {
  auto p = impl_->props(cluster, {"name", "configurationEx", "host"});
  if (!p.ok()) return p.error();
  model::ClusterInfo c;
  c.ref = cluster;
  c.name = string_value((*p)["name"]).value_or("");
  c.hosts = moref_array_value((*p)["host"]);
  const auto* cfg = (*p)["configurationEx"];
  if (!cfg || cfg->soap_type() != SOAP_TYPE_vim25__ClusterConfigInfoEx) {
    return Error("vsphere.xml", "cluster " + cluster.value + " returned no ClusterConfigInfoEx");
  }
  fill_cluster_config(*static_cast<const vim25__ClusterConfigInfoEx*>(cfg), c);
  return c;
}

Result<model::DatastoreInfo> VCenter::datastore_info(const model::MoRef& datastore) {
  auto p = impl_->props(datastore, {"summary"});
  if (!p.ok()) return p.error();
  const auto* s = (*p)["summary"];
  if (!s || s->soap_type() != SOAP_TYPE_vim25__DatastoreSummary) {
    return Error("vsphere.xml", "datastore " + datastore.value + " returned no DatastoreSummary");
  }
  auto d = datastore_from(*static_cast<const vim25__DatastoreSummary*>(s));
  if (d.ref.empty()) d.ref = datastore;
  return d;
}

Status VCenter::wait_task(const model::MoRef& task, std::chrono::seconds limit) {
  std::chrono::milliseconds waited{0};
  util::Backoff poll(std::chrono::milliseconds(100), std::chrono::milliseconds(1000));
  while (true) {
    auto p = impl_->props(task, {"info"});
    if (!p.ok()) return p.error();
    const auto* v = (*p)["info"];
    if (!v || v->soap_type() != SOAP_TYPE_vim25__TaskInfo) {
      return Error("vsphere.xml", "task " + task.value + " has no TaskInfo");
    }
    const auto* info = static_cast<const vim25__TaskInfo*>(v);
    if (info->state == "success") return {};
    if (info->state == "error") {
      std::string code = "TaskFailed";
      std::string msg = "task " + task.value + " failed";
      if (info->error) {
        if (auto name = vim_type_name(info->error->fault); !name.empty() && name != "MethodFault") {
          code = std::string(name);
        }
        if (info->error->localizedMessage && !info->error->localizedMessage->empty()) {
          // The server's words: one line, no control characters, bounded.
          msg = util::untrusted_text(*info->error->localizedMessage);
        }
      }
      return Error(code, msg);
    }
    if (waited >= limit) {
      return Error("vsphere.task-timeout", "task " + task.value + " still " + util::untrusted_text(info->state, 40) +
                                               " after " + std::to_string(limit.count()) + " s");
    }
    const auto step = poll.next_delay();
    impl_->sleep(step);
    waited += step;
  }
}

Status VCenter::apply(const model::MoRef& cluster, const std::string& operation,
                      const model::DrsVmOverride& info) {
  auto task = impl_->session.run(
      [&](VimClient& v) { return v.reconfigure_drs_vm(cluster, operation, info); });
  if (!task.ok()) return task.error();
  return wait_task(*task);
}

}  // namespace vmc::vsphere
