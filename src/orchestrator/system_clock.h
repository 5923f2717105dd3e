// The real clock for the runtime: wall time (pcapng and vCenter use it too) and sleeps.
#pragma once

#include "orchestrator/seams.h"

namespace vmc::orchestrator {

class SystemClock : public Clock {
 public:
  model::TimePoint now() override;
  void sleep_for(std::chrono::milliseconds d) override;
};

}  // namespace vmc::orchestrator
