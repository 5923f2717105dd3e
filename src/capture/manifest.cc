#include "capture/manifest.h"

#include <fmt/format.h>
#include <unistd.h>

#include <ctime>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "capture/atomic_file.h"
#include "capture/byte_sink.h"

namespace vmc::capture {

std::string format_time(int64_t ns) {
  int64_t secs = ns / 1000000000;
  int64_t frac = ns % 1000000000;
  if (frac < 0) {
    frac += 1000000000;
    --secs;
  }
  std::time_t t = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  return fmt::format("{}.{:09d}Z", buf, frac);
}

nlohmann::json to_json(const Manifest& m) {
  using nlohmann::json;
  json pins = json::array();
  for (const auto& p : m.pins) {
    json j = {{"interface", p.interface}, {"host", p.host},   {"port", p.port},
              {"direction", p.direction}, {"vm", p.vm},       {"nic", p.nic},
              {"mac", p.mac},             {"start", format_time(p.start_ns)},
              {"frames", p.frames},       {"bytes", p.bytes}};
    j["end"] = p.end_ns ? json(format_time(*p.end_ns)) : json(nullptr);
    if (p.dropped) j["dropped"] = *p.dropped;
    if (!p.end_reason.empty()) j["end_reason"] = p.end_reason;
    if (!p.error.empty()) j["error"] = p.error;
    pins.push_back(std::move(j));
  }
  json gaps = json::array();
  for (const auto& g : m.gaps)
    gaps.push_back({{"vm", g.vm}, {"from", format_time(g.from_ns)}, {"to", format_time(g.to_ns)},
                    {"seconds", static_cast<double>(g.to_ns - g.from_ns) / 1e9},
                    {"reason", g.reason}});
  json events = json::array();
  for (const auto& e : m.events)
    events.push_back({{"at", format_time(e.at_ns)}, {"kind", e.kind}, {"detail", e.detail}});
  json drs = json::array();
  for (const auto& d : m.drs_actions)
    drs.push_back({{"at", format_time(d.at_ns)}, {"cluster", d.cluster}, {"vm", d.vm},
                   {"action", d.action}, {"detail", d.detail}});
  return json{{"tool", m.tool},
              {"session", m.session},
              {"vcenter", m.vcenter},
              {"plan", m.plan},
              {"start", format_time(m.start_ns)},
              {"end", format_time(m.end_ns)},
              {"stop_reason", m.stop_reason},
              {"files", m.files},
              {"pins", pins},
              {"gaps", gaps},
              {"events", events},
              {"drs_actions", drs},
              {"counts",
               {{"frames", m.frames},
                {"bytes", m.bytes},
                {"duplicates_removed", m.duplicates_removed},
                {"late_frames", m.late_frames},
                {"files_removed_by_ring", m.files_removed}}},
              {"clock_corrections_ns", m.clock_corrections_ns},
              {"errors", m.errors}};
}

std::string manifest_path_for(const std::string& output) {
  std::filesystem::path p(output);
  return (p.parent_path() / (p.stem().string() + ".manifest.json")).string();
}

Status write_manifest(const std::string& path, const Manifest& m) {
  auto f = AtomicFile::create(path);
  if (!f) return f.error();
  // Names and messages come from vCenter and the hosts: bytes that are not UTF-8 are
  // written as U+FFFD instead of making the dump throw (and the manifest be lost).
  const std::string text =
      to_json(m).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  FdSink sink(f->fd(), path);
  if (auto s = sink.write(std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size())); !s)
    return s;
  return f->commit();
}

}  // namespace vmc::capture
