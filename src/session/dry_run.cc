#include "session/dry_run.h"

#include <cstdio>
#include <sstream>

#include <spdlog/spdlog.h>

#include "host/on_host_output.h"
#include "session/credentials.h"
#include "session/run_session.h"

namespace vmc::session {

namespace {

void format_cluster(std::ostream& o, const model::SessionSpec& spec, const DryRunVm& d) {
  if (d.vm.cluster.empty()) {
    o << "  cluster: none (standalone host: no DRS override)\n";
    return;
  }
  if (!d.cluster) return;
  const auto& cl = *d.cluster;
  std::string before = "none (cluster default " + cl.default_behavior + ")";
  for (const auto& ov : cl.overrides)
    if (ov.vm == d.vm.ref) before = ov.behavior;
  o << "  cluster: " << cl.name << ", DRS " << (cl.drs_enabled ? "on" : "off") << ", VM overrides "
    << (cl.vm_overrides_enabled ? "enabled" : "DISABLED") << "\n";
  if (spec.drs.enabled) {
    o << "  DRS override: " << before << " -> " << spec.drs.behavior << " during the session, then back to "
      << before << "\n";
  } else {
    o << "  DRS override: left alone (drs: none)\n";
  }
}

void format_processes(std::ostream& o, const model::SessionSpec& spec, const model::HostInfo& host) {
  o << "  pktcap-uw: "
    << (model::supports_dir_both(host.version) ? "one process per NIC (--dir 2)"
                                               : "two processes per NIC (--dir 0 and --dir 1)");
  if (spec.output.on_host) {
    auto d = host::on_host_directory(spec.output);
    o << ", output written on the host in " << (d.ok() ? *d : "(refused: " + d.error().message + ")")
      << " and fetched when each capture stops\n";
  } else {
    o << ", output streamed with -o -\n";
  }
}

}  // namespace

std::string format_dry_run(const model::SessionSpec& spec, const std::vector<DryRunVm>& vms) {
  std::ostringstream o;
  o << "dry run: nothing is started or changed\n";
  for (const auto& d : vms) {
    const auto& vm = d.vm;
    o << "VM " << vm.name << " (" << vm.ref.value << ", " << vm.path << ")\n";
    o << "  power:   " << model::to_string(vm.power) << "\n";
    o << "  host:    " << vm.host_name;
    if (d.host) o << " (ESXi " << d.host->version << ")";
    o << "\n";
    format_cluster(o, spec, d);
    if (!d.host_error.empty()) o << "  ports:   cannot ask " << vm.host_name << ": " << d.host_error << "\n";
    for (size_t i = 0; i < vm.nics.size(); ++i) {
      const auto& nic = vm.nics[i];
      o << "  NIC " << nic.label << "  " << nic.mac << "  " << nic.network;
      const DryRunPort p = i < d.ports.size() ? d.ports[i] : DryRunPort{};
      if (p.asked && !p.error.empty()) {
        o << "  (port unknown: " << p.error << ")";
      } else if (p.asked && p.port) {
        o << "  port " << *p.port;
      } else if (p.asked) {
        o << "  (no port on the host)";
      }
      o << "\n";
    }
    if (d.host) format_processes(o, spec, *d.host);
  }
  o << "output:  " << spec.output.path << "\n";
  return o.str();
}

int dry_run(const model::SessionSpec& spec_in, const GlobalOptions& g) {
  auto vc = connect_vcenter(g);
  if (!vc.ok()) {
    spdlog::error("{}", vc.error().message);
    return kExitConnect;
  }
  model::SessionSpec spec = spec_in;
  fill_default_output(spec);
  auto vms = resolve_targets(**vc, spec);
  if (!vms.ok()) {
    spdlog::error("{}", vms.error().message);
    return kExitFailed;
  }
  SshHostConnector hosts(g.ssh);
  std::vector<DryRunVm> seen;
  for (const auto& vm : *vms) {
    DryRunVm d;
    d.vm = vm;
    if (auto host = (*vc)->host_info(vm.host); host.ok()) d.host = *host;
    if (!vm.cluster.empty())
      if (auto cl = (*vc)->cluster_info(vm.cluster); cl.ok()) d.cluster = *cl;
    orchestrator::HostControl* hp = nullptr;
    if (d.host && vm.power == model::PowerState::On) {
      auto c = hosts.connect(*d.host);
      if (c.ok()) {
        hp = *c;
      } else {
        d.host_error = c.error().message;
      }
    }
    for (const auto& nic : vm.nics) {
      DryRunPort p;
      if (hp) {
        p.asked = true;
        auto port = hp->resolve_port(nic.mac);
        if (port.ok()) {
          p.port = *port;
        } else {
          p.error = port.error().message;
        }
      }
      d.ports.push_back(p);
    }
    seen.push_back(std::move(d));
  }
  std::fputs(format_dry_run(spec, seen).c_str(), stdout);
  return kExitOk;
}

}  // namespace vmc::session
