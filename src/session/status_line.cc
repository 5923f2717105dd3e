#include "session/status_line.h"

#include <chrono>
#include <cstdio>

namespace vmc::session {

std::string human_bytes(uint64_t b) {
  const char* unit[] = {"B", "KB", "MB", "GB", "TB"};
  double v = static_cast<double>(b);
  int i = 0;
  while (v >= 1000 && i < 4) {
    v /= 1000;
    ++i;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, i == 0 ? "%.0f %s" : "%.1f %s", v, unit[i]);
  return buf;
}

std::string status_text(int64_t seconds, const orchestrator::SinkTotals& t) {
  return std::to_string(seconds) + "s  " + std::to_string(t.frames) + " frames  " + human_bytes(t.bytes) +
         "  (Ctrl-C to stop)";
}

StatusLine::StatusLine(bool on, std::function<orchestrator::SinkTotals()> totals) : totals_(std::move(totals)) {
  if (!on) return;
  thread_ = std::thread([this] {
    const auto start = std::chrono::steady_clock::now();
    std::unique_lock lk(mu_);
    while (!cv_.wait_for(lk, std::chrono::milliseconds(500), [this] { return done_; })) {
      const auto secs =
          std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - start).count();
      std::fprintf(stderr, "\r\033[K%s", status_text(secs, totals_()).c_str());
    }
    std::fprintf(stderr, "\r\033[K");
  });
}

void StatusLine::stop() {
  {
    std::lock_guard lk(mu_);
    done_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace vmc::session
