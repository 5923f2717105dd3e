// How far a host's capture clock is from this machine's, estimated from each frame's
// timestamp and the time it arrived here, so that a host whose clock is off by seconds
// does not put its frames out of time order in a merged capture.
#pragma once

#include <cstdint>

namespace vmc::capture {

class ClockOffset {
 public:
  /// Offsets smaller than `threshold_ns` are left alone: they are transport delay and
  /// ordinary clock error, which the merge window absorbs.
  explicit ClockOffset(int64_t threshold_ns = 1'000'000'000) : threshold_ns_(threshold_ns) {}

  /// Feeds one frame; returns what to add to its timestamp (0 below the threshold).
  /// The estimate is the smallest arrival - timestamp seen (the clock offset plus the
  /// quickest transport); once over the threshold it is fixed, so every frame of the
  /// host is shifted by the same amount and their spacing is kept.
  int64_t observe(int64_t frame_ts_ns, int64_t arrival_ns);

  /// The correction in force (0 when none).
  int64_t correction_ns() const { return correction_ns_; }

 private:
  int64_t threshold_ns_;
  bool seen_ = false;
  int64_t min_delay_ns_ = 0;
  int64_t correction_ns_ = 0;
};

}  // namespace vmc::capture
