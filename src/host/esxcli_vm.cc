#include "host/esxcli_vm.h"

#include "host/text.h"
#include "model/mac.h"

namespace vmc::host {
namespace {

const std::string* get(const Record& r, const char* key) {
  auto it = r.find(key);
  return it == r.end() ? nullptr : &it->second;
}

std::string value_or_empty(const Record& r, const char* key) {
  const std::string* v = get(r, key);
  return v ? *v : std::string();
}

// esxcli prints "N/A" or "-" for some absent values.
bool absent(const std::string& v) { return v.empty() || v == "N/A" || v == "-" || v == "n/a"; }

Error record_error(const char* what, size_t index, const std::string& msg) {
  return Error("esxcli.parse",
               std::string(what) + ", record " + std::to_string(index + 1) + ": " + msg);
}

}  // namespace

Result<std::vector<VmWorld>> parse_vm_list(std::string_view text, EsxcliFormat format) {
  auto recs = parse_esxcli_records(text, format);
  if (!recs) return recs.error().context("esxcli network vm list");
  std::vector<VmWorld> out;
  for (size_t i = 0; i < recs->size(); ++i) {
    const Record& r = (*recs)[i];
    const std::string* wid = get(r, "worldid");
    if (!wid) {
      return record_error("esxcli network vm list", i,
                          "no World ID field; is this the output of `esxcli network vm list`?");
    }
    auto id = parse_int(*wid);
    if (!id || *id <= 0) {
      return record_error("esxcli network vm list", i, "World ID " + excerpt(*wid) + " is not a number");
    }
    VmWorld w;
    w.world_id = *id;
    w.name = value_or_empty(r, "name");
    std::string np = value_or_empty(r, "numports");
    if (!np.empty()) {
      auto n = parse_int(np);
      if (!n || *n < 0 || *n > 100000) {
        return record_error("esxcli network vm list", i, "Num Ports " + excerpt(np) + " is not a count");
      }
      w.num_ports = static_cast<int>(*n);
    }
    w.networks = split_esxcli_list(value_or_empty(r, "networks"));
    out.push_back(std::move(w));
  }
  return out;
}

Result<std::vector<VmPort>> parse_vm_port_list(std::string_view text, EsxcliFormat format) {
  auto recs = parse_esxcli_records(text, format);
  if (!recs) return recs.error().context("esxcli network vm port list");
  std::vector<VmPort> out;
  const char* what = "esxcli network vm port list";
  for (size_t i = 0; i < recs->size(); ++i) {
    const Record& r = (*recs)[i];
    const std::string* pid = get(r, "portid");
    if (!pid) return record_error(what, i, "no Port ID field");
    auto id = parse_int(*pid);
    if (!id || *id <= 0) return record_error(what, i, "Port ID " + excerpt(*pid) + " is not a number");
    VmPort p;
    p.port_id = *id;
    p.vswitch = value_or_empty(r, "vswitch");
    p.portgroup = value_or_empty(r, "portgroup");
    p.dvport_id = value_or_empty(r, "dvportid");
    std::string mac = value_or_empty(r, "macaddress");
    if (!absent(mac)) {
      auto m = model::Mac::parse(mac);
      if (!m) return record_error(what, i, "MAC Address " + excerpt(mac) + " is not a MAC address");
      p.mac = m->str();
    }
    p.ip = value_or_empty(r, "ipaddress");
    p.team_uplink = value_or_empty(r, "teamuplink");
    std::string up = value_or_empty(r, "uplinkportid");
    if (!absent(up)) {
      auto u = parse_int(up);
      if (!u) return record_error(what, i, "Uplink Port ID " + excerpt(up) + " is not a number");
      p.uplink_port_id = *u;
    }
    p.active_filters = value_or_empty(r, "activefilters");
    out.push_back(std::move(p));
  }
  return out;
}

}  // namespace vmc::host
