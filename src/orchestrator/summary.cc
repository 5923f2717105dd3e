#include "orchestrator/summary.h"

#include <algorithm>

namespace vmc::orchestrator {

const char* to_string(EndReason r) {
  switch (r) {
    case EndReason::Requested: return "stop requested";
    case EndReason::Duration: return "duration reached";
    case EndReason::Packets: return "packet count reached";
    case EndReason::Bytes: return "byte count reached";
    case EndReason::Boots: return "boot count reached";
    case EndReason::TargetsGone: return "every captured VM was deleted from vCenter";
    case EndReason::Error: return "error";
  }
  return "unknown";
}

static std::vector<std::chrono::milliseconds> latencies(const std::vector<Repin>& repins) {
  std::vector<std::chrono::milliseconds> v;
  for (const auto& r : repins) v.push_back(r.since_event.value_or(r.since_port_seen));
  std::sort(v.begin(), v.end());
  return v;
}

std::optional<std::chrono::milliseconds> SessionSummary::median_repin_latency() const {
  auto v = latencies(repins);
  if (v.empty()) return std::nullopt;
  if (v.size() % 2 == 1) return v[v.size() / 2];
  return (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

std::optional<std::chrono::milliseconds> SessionSummary::worst_repin_latency() const {
  auto v = latencies(repins);
  if (v.empty()) return std::nullopt;
  return v.back();
}

}  // namespace vmc::orchestrator
