#include "capture/stop_conditions.h"

#include <gtest/gtest.h>

namespace vmc::capture {
namespace {

TEST(StopConditions, NoneSetNeverStops) {
  EXPECT_FALSE(stop_reason({}, {1'000'000, 1'000'000'000, 1'000'000'000'000}));
}

TEST(StopConditions, EachLimitStopsWhenReached) {
  model::StopConditions s;
  s.packets = 10;
  EXPECT_FALSE(stop_reason(s, {9, 0, 0}));
  EXPECT_EQ(stop_reason(s, {10, 0, 0}).value_or(""), "packet limit reached (10 frames)");
  model::StopConditions b;
  b.bytes = 1000;
  EXPECT_FALSE(stop_reason(b, {0, 999, 0}));
  EXPECT_TRUE(stop_reason(b, {0, 1000, 0}));
  model::StopConditions d;
  d.duration = std::chrono::milliseconds(1500);
  EXPECT_FALSE(stop_reason(d, {0, 0, 1'499'999'999}));
  EXPECT_EQ(stop_reason(d, {0, 0, 1'500'000'000}).value_or(""), "duration reached (1.5 s)");
}

}  // namespace
}  // namespace vmc::capture
