#include "plan/summary.h"

#include "plan/filter_keys.h"
#include "plan/values.h"

namespace vmc::plan {

namespace {

void line(std::string& out, const char* label, const std::string& value) {
  std::string l = std::string("  ") + label + ":";
  l.resize(13, ' ');
  out += l + value + "\n";
}

std::string join(const std::vector<std::string>& items, const char* sep) {
  std::string s;
  for (const auto& i : items) s += (s.empty() ? "" : sep) + i;
  return s;
}

}  // namespace

std::string describe(const model::SessionSpec& spec) {
  std::string out;
  line(out, "name", spec.name + " (" + spec.source + ", policy " + (spec.policy.empty() ? "none" : spec.policy) + ")");
  for (const auto& vm : spec.vms) {
    line(out, "vm", vm.vm + (vm.nics.empty() ? " (all NICs)" : " (NICs: " + join(vm.nics, ", ") + ")"));
  }
  for (const auto& u : spec.uplinks) {
    line(out, "uplinks", u.host + " " + (u.lag.empty() ? join(u.uplinks, ", ") : "LAG " + u.lag + " (every member)"));
  }
  std::string where = model::to_string(spec.direction);
  if (!spec.capture_point.empty()) where += ", capture point " + spec.capture_point;
  if (spec.stage) where += *spec.stage == 0 ? ", stage pre" : ", stage post";
  line(out, "direction", where);
  std::vector<std::string> filters;
  for (const auto& [k, v] : filter_items(spec.filter)) {
    std::string item = k + "=" + v;
    if (k == "proto" && spec.filter.proto) {
      int p = *spec.filter.proto;
      if (p == 6) item += " (tcp)";
      if (p == 17) item += " (udp)";
      if (p == 1) item += " (icmp)";
    }
    filters.push_back(item);
  }
  line(out, "filter", filters.empty() ? "none (every frame)" : join(filters, " and "));
  std::vector<std::string> stop;
  if (spec.stop.duration) stop.push_back("after " + format_duration(*spec.stop.duration));
  if (spec.stop.packets) stop.push_back("after " + std::to_string(*spec.stop.packets) + " packets");
  if (spec.stop.bytes) stop.push_back("after " + format_size(*spec.stop.bytes));
  if (spec.stop.boots) stop.push_back("after " + std::to_string(*spec.stop.boots) + " boot(s)");
  line(out, "stop", stop.empty() ? "on Ctrl-C" : join(stop, ", or ") + ", or on Ctrl-C");
  const auto& o = spec.output;
  std::string output = o.path.empty() ? "<vm>-<start time>.pcapng" : o.path == "-" ? "stdout (pcapng)" : o.path;
  if (o.snaplen > 0) output += ", first " + std::to_string(o.snaplen) + " bytes of each frame";
  line(out, "output", output);
  if (o.rotation.enabled()) {
    std::vector<std::string> r;
    if (o.rotation.max_bytes) r.push_back("every " + format_size(*o.rotation.max_bytes));
    if (o.rotation.max_age) r.push_back("every " + format_duration(*o.rotation.max_age));
    if (o.rotation.max_packets) r.push_back("every " + std::to_string(*o.rotation.max_packets) + " packets");
    line(out, "rotation", join(r, " or ") + (o.rotation.ring > 0 ? ", keeping the newest " + std::to_string(o.rotation.ring) + " files" : ", keeping all files"));
  } else {
    line(out, "rotation", "off");
  }
  if (o.on_host) {
    line(out, "on host", (o.datastore.empty() ? std::string("/tmp") : o.datastore) +
                             (o.force_tmp ? " (ramdisk allowed)" : "") + ", fetched as each capture stops");
  }
  const bool has_vms = !spec.vms.empty();
  line(out, "drs", !spec.drs.enabled ? "left alone"
                   : has_vms          ? spec.drs.behavior + " override while capturing, restored after"
                                      : spec.drs.behavior + " (no VM targets: nothing to override)");
  line(out, "bridge", !spec.bridge.enabled ? "off"
                      : has_vms           ? "on (uplink capture by MAC while a port is unknown)"
                                          : "on (no VM targets: nothing to bridge)");
  return out;
}

}  // namespace vmc::plan
