// When a session has had enough: the plan's stop conditions (duration, packets, bytes,
// boots) against how far the session has come. The one owner of these rules: the
// runtime asks here at every pass, and waits no longer than time_to_stop().
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "model/session_spec.h"
#include "orchestrator/summary.h"

namespace vmc::orchestrator {

struct Progress {
  std::chrono::nanoseconds elapsed{0};  // since the session started
  uint64_t frames = 0;                  // written to the output
  uint64_t bytes = 0;
  int boots = 0;                        // of the watched VMs, each counted once
  /// Since the last of those boots; nullopt before the first.
  std::optional<std::chrono::nanoseconds> since_last_boot;
};

/// The condition reached, checked in this order: duration, packets, bytes, boots (the
/// N-th boot `boots_grace` ago, so that its DHCP exchange is in the file). nullopt: go on.
std::optional<EndReason> stop_reached(const model::StopConditions& stop, const Progress& p,
                                      std::chrono::milliseconds boots_grace);

/// How long the session may wait before a time-based condition can be reached: at most
/// `tick`, never negative.
std::chrono::milliseconds time_to_stop(const model::StopConditions& stop, const Progress& p,
                                       std::chrono::milliseconds boots_grace,
                                       std::chrono::milliseconds tick);

/// The condition in words, e.g. "packet limit reached (1000 frames)".
std::string describe(EndReason reached, const model::StopConditions& stop);

}  // namespace vmc::orchestrator
