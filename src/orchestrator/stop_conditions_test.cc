#include "orchestrator/stop_conditions.h"

#include <gtest/gtest.h>

namespace vmc::orchestrator {
namespace {

using namespace std::chrono_literals;

Progress seen(uint64_t frames, uint64_t bytes, std::chrono::nanoseconds elapsed) {
  Progress p;
  p.frames = frames;
  p.bytes = bytes;
  p.elapsed = elapsed;
  return p;
}

TEST(StopConditions, NoneSetNeverStops) {
  EXPECT_FALSE(stop_reached({}, seen(1'000'000, 1'000'000'000, 1'000'000'000'000ns), 10s));
}

TEST(StopConditions, EachLimitStopsWhenReached) {
  model::StopConditions s;
  s.packets = 10;
  EXPECT_FALSE(stop_reached(s, seen(9, 0, 0ns), 10s));
  ASSERT_EQ(EndReason::Packets, stop_reached(s, seen(10, 0, 0ns), 10s));
  EXPECT_EQ("packet limit reached (10 frames)", describe(EndReason::Packets, s));
  model::StopConditions b;
  b.bytes = 1000;
  EXPECT_FALSE(stop_reached(b, seen(0, 999, 0ns), 10s));
  EXPECT_EQ(EndReason::Bytes, stop_reached(b, seen(0, 1000, 0ns), 10s));
  model::StopConditions d;
  d.duration = std::chrono::milliseconds(1500);
  EXPECT_FALSE(stop_reached(d, seen(0, 0, 1'499'999'999ns), 10s));
  ASSERT_EQ(EndReason::Duration, stop_reached(d, seen(0, 0, 1'500'000'000ns), 10s));
  EXPECT_EQ("duration reached (1.5 s)", describe(EndReason::Duration, d));
}

TEST(StopConditions, BootsStopTheGraceAfterTheLastOne) {
  model::StopConditions s;
  s.boots = 2;
  Progress p;
  p.boots = 2;
  EXPECT_FALSE(stop_reached(s, p, 10s));  // no boot time known
  p.since_last_boot = 9s;
  EXPECT_FALSE(stop_reached(s, p, 10s));
  EXPECT_EQ(1000ms, time_to_stop(s, p, 10s, 5s));
  p.since_last_boot = 10s;
  EXPECT_EQ(EndReason::Boots, stop_reached(s, p, 10s));
  p.boots = 1;
  EXPECT_FALSE(stop_reached(s, p, 10s));
  EXPECT_EQ(5s, time_to_stop(s, p, 10s, 5s));
}

TEST(StopConditions, DurationFirstAndTheWaitEndsWithIt) {
  model::StopConditions s;
  s.duration = 60s;
  s.packets = 1;
  EXPECT_EQ(EndReason::Duration, stop_reached(s, seen(5, 0, 60s), 10s));
  EXPECT_EQ(EndReason::Packets, stop_reached(s, seen(5, 0, 59s), 10s));
  EXPECT_EQ(500ms, time_to_stop(s, seen(0, 0, 59'500ms), 10s, 2s));
  EXPECT_EQ(0ms, time_to_stop(s, seen(0, 0, 61s), 10s, 2s));
  EXPECT_EQ(2s, time_to_stop(s, seen(0, 0, 0s), 10s, 2s));
}

}  // namespace
}  // namespace vmc::orchestrator
