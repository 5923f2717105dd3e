#include "capture/stop_conditions.h"

#include <fmt/format.h>

namespace vmc::capture {

std::optional<std::string> stop_reason(const model::StopConditions& stop, const OutputProgress& p) {
  if (stop.packets && p.frames >= *stop.packets)
    return fmt::format("packet limit reached ({} frames)", *stop.packets);
  if (stop.bytes && p.bytes >= *stop.bytes)
    return fmt::format("byte limit reached ({} bytes)", *stop.bytes);
  if (stop.duration &&
      p.elapsed_ns >= std::chrono::duration_cast<std::chrono::nanoseconds>(*stop.duration).count())
    return fmt::format("duration reached ({} s)", static_cast<double>(stop.duration->count()) / 1000);
  return std::nullopt;
}

}  // namespace vmc::capture
