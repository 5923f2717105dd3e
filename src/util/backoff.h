// Exponential backoff, the one implementation: after a failure wait `initial`, after
// each further failure twice as long, never longer than `max`; a success starts over.
// Pure arithmetic (the caller sleeps or compares with its clock), so tests need no time.
#pragma once

#include <chrono>
#include <map>
#include <string>

namespace vmc::util {

/// The delays of one thing being retried (a connection, a task poll).
class Backoff {
 public:
  using ms = std::chrono::milliseconds;
  explicit Backoff(ms initial = ms(1000), ms max = ms(30000));

  /// The delay before retry number `attempt` (0: initial, 1: 2x, 2: 4x, ... max). Never
  /// overflows; a negative attempt counts as 0.
  ms delay_for(int attempt) const;
  /// The delay after one more failure (delay_for(failures()), then counts it).
  ms next_delay();
  /// A success: the next failure waits `initial` again.
  void reset() { failures_ = 0; }
  int failures() const { return failures_; }

 private:
  ms initial_, max_;
  int failures_ = 0;
};

/// The same, separately for each key (a host, a capture): whether a key may be tried
/// now, given the failures recorded for it.
class KeyedBackoff {
 public:
  using ms = std::chrono::milliseconds;
  using TimePoint = std::chrono::system_clock::time_point;  // model::TimePoint
  KeyedBackoff(ms initial, ms max) : initial_(initial), max_(max) {}

  /// Whether `key` may be tried at `now` (never failed, succeeded since, or waited).
  bool ready(const std::string& key, TimePoint now) const;
  /// Records a failure at `now`; returns how long the key now waits.
  ms failed(const std::string& key, TimePoint now);
  void succeeded(const std::string& key) { state_.erase(key); }

 private:
  struct State {
    Backoff delays;
    TimePoint until{};
  };
  ms initial_, max_;
  std::map<std::string, State> state_;
};

}  // namespace vmc::util
