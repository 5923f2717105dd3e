// When a session's output has had enough: packets, bytes or duration from the plan.
// (Stopping after N boots is decided by the orchestrator, which sees the events.)
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "model/session_spec.h"

namespace vmc::capture {

struct OutputProgress {
  uint64_t frames = 0;
  uint64_t bytes = 0;       // captured bytes written
  int64_t elapsed_ns = 0;   // wall clock since the session started
};

/// Why the session should stop now, e.g. "packet limit reached (1000 frames)", or
/// std::nullopt to go on.
std::optional<std::string> stop_reason(const model::StopConditions& stop, const OutputProgress& p);

}  // namespace vmc::capture
