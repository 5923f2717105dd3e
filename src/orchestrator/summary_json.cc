#include "orchestrator/summary_json.h"

#include "orchestrator/journal.h"

namespace vmc::orchestrator {

using nlohmann::json;

namespace {

json pin_json(const Pin& p) {
  json j = {{"key", p.key()},         {"name", p.name()}, {"kind", to_string(p.kind)},
            {"host", p.host.value},   {"host_name", p.host_name},
            {"direction", model::to_string(p.dir)}};
  if (p.kind == PinKind::VmPort) j["port"] = p.port_id;
  if (p.kind != PinKind::VmPort) j["uplink"] = p.uplink;
  if (p.kind != PinKind::Uplink) {
    j["vm"] = p.vm.value;
    j["vm_name"] = p.vm_name;
    j["mac"] = p.mac.str();
    j["nic"] = p.nic_label;
  }
  return j;
}

json override_json(const std::optional<model::DrsVmOverride>& o) {
  return o ? json(o->behavior) : json();
}

}  // namespace

json to_json(const SessionSummary& s) {
  json j;
  j["session"] = s.session_id;
  j["name"] = s.name;
  j["started"] = format_time(s.started);
  j["ended"] = format_time(s.ended);
  j["end_reason"] = to_string(s.end_reason);
  if (!s.error.empty()) j["error"] = s.error;
  j["boots"] = s.boots;
  j["restarts"] = s.restarts;
  j["pins"] = json::array();
  for (const auto& p : s.pins) {
    json pj = pin_json(p.pin);
    pj["remote_pid"] = p.remote_pid;
    pj["start"] = format_time(p.start);
    pj["end"] = p.end ? json(format_time(*p.end)) : json();
    pj["start_reason"] = p.start_reason;
    pj["end_reason"] = p.end_reason;
    j["pins"].push_back(pj);
  }
  j["gaps"] = json::array();
  for (const auto& g : s.gaps) {
    json gj = {{"vm", g.vm.value}, {"vm_name", g.vm_name}, {"mac", g.mac},
               {"from", format_time(g.from)}, {"reason", g.reason}};
    gj["to"] = g.to ? json(format_time(*g.to)) : json();
    if (g.to) gj["ms"] = std::chrono::duration_cast<std::chrono::milliseconds>(*g.to - g.from).count();
    j["gaps"].push_back(gj);
  }
  j["repins"] = json::array();
  for (const auto& r : s.repins) {
    json rj = {{"vm_name", r.vm_name}, {"mac", r.mac}, {"from", r.from}, {"to", r.to},
               {"trigger", r.trigger}, {"since_port_seen_ms", r.since_port_seen.count()}};
    rj["since_event_ms"] = r.since_event ? json(r.since_event->count()) : json();
    j["repins"].push_back(rj);
  }
  if (auto m = s.median_repin_latency()) j["repin_latency_median_ms"] = m->count();
  if (auto w = s.worst_repin_latency()) j["repin_latency_worst_ms"] = w->count();
  j["events"] = json::array();
  for (const auto& e : s.events)
    j["events"].push_back({{"kind", model::to_string(e.kind)}, {"vm", e.vm.value},
                           {"vm_name", e.vm_name}, {"at", format_time(e.at)},
                           {"source", e.source}, {"detail", e.detail}});
  j["drs"] = json::array();
  for (const auto& d : s.drs)
    j["drs"].push_back({{"cluster", d.cluster.value}, {"vm", d.vm.value}, {"action", d.action},
                        {"previous", override_json(d.previous)},
                        {"applied", override_json(d.applied)}, {"ok", d.ok},
                        {"message", d.message}});
  return j;
}

std::string closing_note(const SessionSummary& s) {
  auto ms = [](std::chrono::milliseconds d) { return std::to_string(d.count()) + " ms"; };
  std::string out = "session " + s.session_id + " ended: " + to_string(s.end_reason);
  if (!s.error.empty()) out += " (" + s.error + ")";
  out += "\n" + std::to_string(s.pins.size()) + " captures, " + std::to_string(s.repins.size()) +
         " re-pins";
  if (auto m = s.median_repin_latency())
    out += ", re-pin latency median " + ms(*m) + ", worst " + ms(*s.worst_repin_latency());
  out += "; " + std::to_string(s.gaps.size()) + " gaps";
  std::chrono::milliseconds total{0};
  for (const auto& g : s.gaps)
    if (g.to) total += std::chrono::duration_cast<std::chrono::milliseconds>(*g.to - g.from);
  if (!s.gaps.empty()) out += " (" + ms(total) + " in all)";
  out += "; " + std::to_string(s.boots) + " boots; " + std::to_string(s.restarts) +
         " capture restarts\n";
  for (const auto& d : s.drs)
    if (!d.message.empty()) out += d.message + "\n";
  return out;
}

}  // namespace vmc::orchestrator
