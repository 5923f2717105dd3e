#include "host/backoff.h"

namespace vmc::host {

Backoff::ms Backoff::next_delay() {
  ms d = initial_;
  for (int i = 0; i < failures_ && d < max_; ++i) d *= 2;
  if (d > max_) d = max_;
  ++failures_;
  return d;
}

}  // namespace vmc::host
