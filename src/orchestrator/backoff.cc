#include "orchestrator/backoff.h"

#include <algorithm>

namespace vmc::orchestrator {

bool Backoff::ready(const std::string& key, model::TimePoint now) const {
  auto it = state_.find(key);
  return it == state_.end() || now >= it->second.until;
}

std::chrono::milliseconds Backoff::failed(const std::string& key, model::TimePoint now) {
  State& s = state_[key];
  s.delay = s.delay.count() == 0 ? initial_ : std::min(max_, s.delay * 2);
  s.until = now + s.delay;
  return s.delay;
}

}  // namespace vmc::orchestrator
