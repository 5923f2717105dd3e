// The live status line of a session on a terminal: seconds, frames and bytes written,
// redrawn twice a second until the session ends (then cleared).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "orchestrator/seams.h"

namespace vmc::session {

/// 999 -> "999 B", 1500 -> "1.5 KB", 2'000'000 -> "2.0 MB" (powers of 1000).
std::string human_bytes(uint64_t bytes);

/// "12s  345 frames  1.5 KB  (Ctrl-C to stop)".
std::string status_text(int64_t seconds, const orchestrator::SinkTotals& totals);

class StatusLine {
 public:
  /// Draws on stderr from a thread of its own when `on`; `totals` is asked at each draw.
  StatusLine(bool on, std::function<orchestrator::SinkTotals()> totals);
  ~StatusLine() { stop(); }
  StatusLine(const StatusLine&) = delete;
  StatusLine& operator=(const StatusLine&) = delete;
  /// Stops drawing and clears the line.
  void stop();

 private:
  std::function<orchestrator::SinkTotals()> totals_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  std::thread thread_;
};

}  // namespace vmc::session
