// Delays between reconnection attempts: initial, doubling, capped, with a reset on
// success. Pure arithmetic so it is tested without clocks.
#pragma once

#include <chrono>

namespace vmc::host {

class Backoff {
 public:
  using ms = std::chrono::milliseconds;
  Backoff(ms initial = ms(1000), ms max = ms(30000)) : initial_(initial), max_(max) {}

  /// Delay before the next attempt after one more failure (initial, 2x, 4x ... max).
  ms next_delay();
  void reset() { failures_ = 0; }
  int failures() const { return failures_; }

 private:
  ms initial_, max_;
  int failures_ = 0;
};

}  // namespace vmc::host
