#include "orchestrator/stop_conditions.h"

#include <algorithm>

#include <fmt/format.h>

namespace vmc::orchestrator {

using std::chrono::duration_cast;
using std::chrono::milliseconds;

namespace {

bool boots_done(const model::StopConditions& stop, const Progress& p) {
  return stop.boots && p.boots >= *stop.boots && p.since_last_boot;
}

milliseconds left(std::chrono::nanoseconds limit, std::chrono::nanoseconds gone) {
  return gone < limit ? duration_cast<milliseconds>(limit - gone) : milliseconds(0);
}

}  // namespace

std::optional<EndReason> stop_reached(const model::StopConditions& stop, const Progress& p,
                                      milliseconds boots_grace) {
  if (stop.duration && p.elapsed >= *stop.duration) return EndReason::Duration;
  if (stop.packets && p.frames >= *stop.packets) return EndReason::Packets;
  if (stop.bytes && p.bytes >= *stop.bytes) return EndReason::Bytes;
  if (boots_done(stop, p) && *p.since_last_boot >= boots_grace) return EndReason::Boots;
  return std::nullopt;
}

milliseconds time_to_stop(const model::StopConditions& stop, const Progress& p,
                          milliseconds boots_grace, milliseconds tick) {
  milliseconds wait = tick;
  if (stop.duration) wait = std::min(wait, left(*stop.duration, p.elapsed));
  if (boots_done(stop, p)) wait = std::min(wait, left(boots_grace, *p.since_last_boot));
  return wait;
}

std::string describe(EndReason reached, const model::StopConditions& stop) {
  switch (reached) {
    case EndReason::Packets:
      return fmt::format("packet limit reached ({} frames)", stop.packets.value_or(0));
    case EndReason::Bytes:
      return fmt::format("byte limit reached ({} bytes)", stop.bytes.value_or(0));
    case EndReason::Duration:
      return fmt::format("duration reached ({} s)",
                         static_cast<double>(stop.duration.value_or(milliseconds(0)).count()) / 1000);
    case EndReason::Boots:
      return fmt::format("{} boot(s) reached", stop.boots.value_or(0));
    default:
      return to_string(reached);
  }
}

}  // namespace vmc::orchestrator
