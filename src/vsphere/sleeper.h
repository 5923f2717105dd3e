// Waiting, behind a seam so tests do not wait.
#pragma once

#include <chrono>

namespace vmc::vsphere {

class Sleeper {
 public:
  virtual ~Sleeper() = default;
  virtual void sleep(std::chrono::milliseconds d) = 0;
};

}  // namespace vmc::vsphere
