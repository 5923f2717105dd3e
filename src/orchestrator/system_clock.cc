#include "orchestrator/system_clock.h"

#include <thread>

namespace vmc::orchestrator {

model::TimePoint SystemClock::now() { return std::chrono::system_clock::now(); }

void SystemClock::sleep_for(std::chrono::milliseconds d) {
  if (d.count() > 0) std::this_thread::sleep_for(d);
}

}  // namespace vmc::orchestrator
