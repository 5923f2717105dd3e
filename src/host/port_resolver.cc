#include "host/port_resolver.h"

#include <algorithm>
#include <set>

#include "host/esxcli_vm.h"
#include "host/netstats.h"
#include "host/text.h"
#include "model/mac.h"
#include "util/shell_quote.h"

namespace vmc::host {
namespace {

Error command_failed(const std::string& host, const std::vector<std::string>& argv,
                     const ExecResult& r) {
  std::string err = std::string(trim(r.err));
  return Error("host.command", host + ": `" + *util::shell_join(argv) + "` exited with status " +
                                   std::to_string(r.exit_status) +
                                   (err.empty() ? std::string() : ": " + excerpt(err)));
}

// Adds matches from `candidates` for MACs in `want` not yet resolved; a MAC on two
// different ports of one source is ambiguous and skipped with a warning.
void take_matches(const std::vector<HostPort>& candidates, const std::string& source,
                  const std::map<int64_t, int64_t>& worlds, std::vector<std::string>& want,
                  PortResolution& res) {
  std::vector<std::string> still;
  for (const std::string& mac : want) {
    std::set<int64_t> ids;
    for (const auto& c : candidates) {
      if (c.mac == mac) ids.insert(c.port_id);
    }
    if (ids.size() == 1) {
      ResolvedPort p{mac, *ids.begin(), source, 0};
      auto w = worlds.find(p.port_id);
      if (w != worlds.end()) p.world_id = w->second;
      res.ports[mac] = p;
    } else {
      if (ids.size() > 1) {
        std::string list;
        for (int64_t id : ids) list += (list.empty() ? "" : ", ") + std::to_string(id);
        res.warnings.push_back(source + ": MAC " + mac + " is on several ports (" + list +
                               "); not choosing one. Give each VM NIC a unique MAC.");
      }
      still.push_back(mac);
    }
  }
  want = std::move(still);
}

}  // namespace

Result<PortResolution> PortResolver::resolve(const std::vector<std::string>& macs,
                                             const std::vector<model::PortInfo>& api_ports,
                                             const std::string& vm_name_hint) {
  PortResolution res;
  std::vector<std::string> want;
  for (const auto& m : macs) {
    auto n = model::Mac::parse(m);
    if (!n) return Error("port.mac", excerpt(m) + " is not a MAC address (expected 00:50:56:aa:bb:cc)");
    if (std::find(want.begin(), want.end(), n->str()) == want.end()) want.push_back(n->str());
  }
  // 1. The API's view.
  if (!api_ports.empty() && !want.empty()) {
    std::vector<HostPort> cands;
    for (const auto& p : api_ports) {
      auto m = model::Mac::parse(p.mac);
      if (m && p.port_id > 0) cands.push_back({p.port_id, m->str(), p.portgroup});
    }
    take_matches(cands, "api", {}, want, res);
  }
  // 2. esxcli.
  if (!want.empty()) {
    std::vector<std::string> warnings;
    auto ports = esxcli_ports(vm_name_hint, want, warnings);
    res.warnings.insert(res.warnings.end(), warnings.begin(), warnings.end());
    if (ports) {
      std::map<int64_t, int64_t> worlds;
      for (const auto& p : *ports) {
        // HostPort.client holds the world id as text for esxcli rows.
        if (auto w = parse_int(p.client)) worlds[p.port_id] = *w;
      }
      take_matches(*ports, "esxcli", worlds, want, res);
    } else {
      res.warnings.push_back(ports.error().message);
    }
  }
  // 3. net-stats.
  if (!want.empty()) {
    auto ports = netstats_ports();
    if (ports) {
      take_matches(*ports, "net-stats", {}, want, res);
    } else {
      res.warnings.push_back(ports.error().message);
    }
  }
  res.missing = want;
  return res;
}

Result<std::vector<HostPort>> PortResolver::esxcli_ports(const std::string& vm_name_hint,
                                                         const std::vector<std::string>& wanted,
                                                         std::vector<std::string>& warnings) {
  const std::vector<std::string> list_cmd{"esxcli", "--formatter=csv", "network", "vm", "list"};
  auto r = conn_.run(list_cmd, timeout_);
  if (!r) return r.error();
  if (r->exit_status != 0) return command_failed(conn_.host(), list_cmd, *r);
  auto vms = parse_vm_list(r->out);
  if (!vms) return vms.error().context(conn_.host());
  // Named worlds first; the name only orders the search.
  std::stable_partition(vms->begin(), vms->end(),
                        [&](const VmWorld& w) { return !vm_name_hint.empty() && w.name == vm_name_hint; });
  std::vector<HostPort> out;
  std::set<std::string> seen;
  for (const auto& w : *vms) {
    std::vector<std::string> cmd{"esxcli", "--formatter=csv", "network", "vm", "port", "list",
                                 "-w", std::to_string(w.world_id)};
    auto pr = conn_.run(cmd, timeout_);
    if (!pr) return pr.error();
    if (pr->exit_status != 0) {
      // The world may have gone between the two commands (VM powered off): not fatal.
      warnings.push_back(command_failed(conn_.host(), cmd, *pr).message);
      continue;
    }
    auto ports = parse_vm_port_list(pr->out);
    if (!ports) {
      warnings.push_back(ports.error().context(conn_.host()).message);
      continue;
    }
    for (const auto& p : *ports) {
      if (p.mac.empty()) continue;
      out.push_back({p.port_id, p.mac, std::to_string(w.world_id)});
      seen.insert(p.mac);
    }
    // Stop early once every wanted MAC was seen in the hinted worlds.
    bool hinted = !vm_name_hint.empty() && w.name == vm_name_hint;
    bool all = std::all_of(wanted.begin(), wanted.end(), [&](const std::string& m) { return seen.count(m); });
    if (hinted && all) break;
  }
  return out;
}

Result<std::vector<HostPort>> PortResolver::netstats_ports() {
  const std::vector<std::string> cmd{"net-stats", "-l"};
  auto r = conn_.run(cmd, timeout_);
  if (!r) return r.error();
  if (r->exit_status != 0) return command_failed(conn_.host(), cmd, *r);
  auto rows = parse_net_stats_list(r->out);
  if (!rows) return rows.error().context(conn_.host());
  std::vector<HostPort> out;
  for (const auto& row : *rows) {
    if (row.mac.empty() || row.mac == "00:00:00:00:00:00") continue;
    out.push_back({row.port_id, row.mac, row.client_name});
  }
  return out;
}

Result<std::vector<HostPort>> PortResolver::list_ports() {
  auto ns = netstats_ports();
  if (ns) return ns;
  std::vector<std::string> warnings;
  auto ex = esxcli_ports("", {}, warnings);
  if (ex) return ex;
  return ex.error().reworded(ns.error().message + "; and " + ex.error().message);
}

Result<bool> PortResolver::port_present(int64_t port_id, const std::string& mac) {
  auto m = model::Mac::parse(mac);
  if (!m) return Error("port.mac", excerpt(mac) + " is not a MAC address");
  auto ports = list_ports();
  if (!ports) return ports.error();
  for (const auto& p : *ports) {
    if (p.port_id == port_id && p.mac == m->str()) return true;
  }
  return false;
}

}  // namespace vmc::host
