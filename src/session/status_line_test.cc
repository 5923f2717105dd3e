#include "session/status_line.h"

#include <gtest/gtest.h>

#include <atomic>

namespace vmc::session {
namespace {

TEST(StatusLine, SaysTimeFramesAndBytesInUnitsOfAThousand) {
  EXPECT_EQ("999 B", human_bytes(999));
  EXPECT_EQ("1.5 KB", human_bytes(1500));
  EXPECT_EQ("2.0 MB", human_bytes(2'000'000));
  EXPECT_EQ("1500.0 TB", human_bytes(1'500'000'000'000'000ULL));
  EXPECT_EQ("12s  345 frames  1.5 KB  (Ctrl-C to stop)", status_text(12, {345, 1500}));
}

TEST(StatusLine, OffDrawsNothingAndStopsAtOnce) {
  std::atomic<int> asked{0};
  const auto t0 = std::chrono::steady_clock::now();
  {
    StatusLine line(/*on=*/false, [&] {
      ++asked;
      return orchestrator::SinkTotals{};
    });
  }
  {
    StatusLine line(/*on=*/true, [&] {
      ++asked;
      return orchestrator::SinkTotals{};
    });
    line.stop();  // before its first draw
  }
  EXPECT_EQ(0, asked.load());
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(400));
}

}  // namespace
}  // namespace vmc::session
