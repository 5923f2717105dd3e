#include "util/backoff.h"

#include <algorithm>
#include <limits>

namespace vmc::util {

Backoff::Backoff(ms initial, ms max) : initial_(initial), max_(std::max(initial, max)) {}

Backoff::ms Backoff::delay_for(int attempt) const {
  ms d = initial_;
  for (int i = 0; i < attempt && d < max_; ++i) d *= 2;  // stops at max: no overflow
  return std::min(d, max_);
}

Backoff::ms Backoff::next_delay() {
  const ms d = delay_for(failures_);
  if (failures_ < std::numeric_limits<int>::max()) ++failures_;
  return d;
}

bool KeyedBackoff::ready(const std::string& key, TimePoint now) const {
  auto it = state_.find(key);
  return it == state_.end() || now >= it->second.until;
}

KeyedBackoff::ms KeyedBackoff::failed(const std::string& key, TimePoint now) {
  auto it = state_.try_emplace(key, State{Backoff(initial_, max_), {}}).first;
  const ms d = it->second.delays.next_delay();
  it->second.until = now + d;
  return d;
}

}  // namespace vmc::util
