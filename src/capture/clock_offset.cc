#include "capture/clock_offset.h"

namespace vmc::capture {

int64_t ClockOffset::observe(int64_t frame_ts_ns, int64_t arrival_ns) {
  if (correction_ns_ != 0) return correction_ns_;  // fixed once found: one shift per host
  const int64_t delay = arrival_ns - frame_ts_ns;
  if (!seen_ || delay < min_delay_ns_) min_delay_ns_ = delay;
  seen_ = true;
  if (min_delay_ns_ >= threshold_ns_ || min_delay_ns_ <= -threshold_ns_) correction_ns_ = min_delay_ns_;
  return correction_ns_;
}

}  // namespace vmc::capture
