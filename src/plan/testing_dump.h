// Test helper: every field of a SessionSpec as "key=value" lines, so tests compare whole
// specs and a failure shows exactly which fields differ (header-only, tests only).
#pragma once

#include <string>

#include "model/session_spec.h"

namespace vmc::plan::testing {

inline std::string dump(const model::SessionSpec& s) {
  std::string o;
  auto kv = [&](const std::string& k, const std::string& v) { o += k + "=" + v + "\n"; };
  auto opt_s = [&](const std::string& k, const std::optional<std::string>& v) {
    if (v) kv(k, *v);
  };
  auto opt_i = [&](const std::string& k, const auto& v) {
    if (v) kv(k, std::to_string(*v));
  };
  kv("name", s.name);
  kv("source", s.source);
  kv("policy", s.policy);
  for (size_t i = 0; i < s.vms.size(); ++i) {
    std::string nics;
    for (const auto& n : s.vms[i].nics) nics += (nics.empty() ? "" : "|") + n;
    kv("vm[" + std::to_string(i) + "]", s.vms[i].vm + " nics=" + nics);
  }
  for (size_t i = 0; i < s.uplinks.size(); ++i) {
    std::string ups;
    for (const auto& n : s.uplinks[i].uplinks) ups += (ups.empty() ? "" : "|") + n;
    kv("uplink[" + std::to_string(i) + "]", s.uplinks[i].host + " vmnics=" + ups + " lag=" + s.uplinks[i].lag);
  }
  kv("direction", model::to_string(s.direction));
  kv("capture_point", s.capture_point);
  opt_i("stage", s.stage);
  const auto& f = s.filter;
  opt_s("filter.mac", f.mac);
  opt_s("filter.srcmac", f.srcmac);
  opt_s("filter.dstmac", f.dstmac);
  opt_s("filter.ip", f.ip);
  opt_s("filter.srcip", f.srcip);
  opt_s("filter.dstip", f.dstip);
  opt_s("filter.rcf", f.rcf);
  opt_i("filter.vlan", f.vlan);
  opt_i("filter.proto", f.proto);
  opt_i("filter.srcport", f.srcport);
  opt_i("filter.dstport", f.dstport);
  opt_i("filter.tcpport", f.tcpport);
  opt_i("filter.ethtype", f.ethtype);
  if (s.stop.duration) kv("stop.duration_ms", std::to_string(s.stop.duration->count()));
  opt_i("stop.packets", s.stop.packets);
  opt_i("stop.bytes", s.stop.bytes);
  opt_i("stop.boots", s.stop.boots);
  kv("output.path", s.output.path);
  opt_i("rotation.max_bytes", s.output.rotation.max_bytes);
  if (s.output.rotation.max_age) kv("rotation.max_age_ms", std::to_string(s.output.rotation.max_age->count()));
  opt_i("rotation.max_packets", s.output.rotation.max_packets);
  kv("rotation.ring", std::to_string(s.output.rotation.ring));
  kv("output.snaplen", std::to_string(s.output.snaplen));
  kv("output.on_host", s.output.on_host ? "true" : "false");
  kv("output.datastore", s.output.datastore);
  kv("output.force_tmp", s.output.force_tmp ? "true" : "false");
  kv("drs", s.drs.enabled ? "on " + s.drs.behavior : "off " + s.drs.behavior);
  kv("bridge", s.bridge.enabled ? "on" : "off");
  return o;
}

}  // namespace vmc::plan::testing
