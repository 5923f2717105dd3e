// Exponential backoff per key (a host): after a failure the key waits, each further
// failure doubles the wait up to a ceiling, a success clears it.
#pragma once

#include <chrono>
#include <map>
#include <string>

#include "model/inventory.h"

namespace vmc::orchestrator {

class Backoff {
 public:
  Backoff(std::chrono::milliseconds initial, std::chrono::milliseconds max)
      : initial_(initial), max_(max) {}

  /// Whether `key` may be tried at `now`.
  bool ready(const std::string& key, model::TimePoint now) const;
  /// Records a failure at `now`; returns how long the key now waits.
  std::chrono::milliseconds failed(const std::string& key, model::TimePoint now);
  void succeeded(const std::string& key) { state_.erase(key); }

 private:
  struct State {
    std::chrono::milliseconds delay{0};
    model::TimePoint until{};
  };
  std::chrono::milliseconds initial_;
  std::chrono::milliseconds max_;
  std::map<std::string, State> state_;
};

}  // namespace vmc::orchestrator
