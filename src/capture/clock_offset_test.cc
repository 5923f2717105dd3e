#include "capture/clock_offset.h"

#include <gtest/gtest.h>

namespace vmc::capture {
namespace {

constexpr int64_t kMs = 1'000'000;
constexpr int64_t kT0 = 1'764'140'000'000'000'000;

TEST(ClockOffset, InSyncHostIsLeftAlone) {
  ClockOffset c;
  // Frames arrive 5-40 ms after their timestamps: transport, not clock error.
  EXPECT_EQ(0, c.observe(kT0, kT0 + 40 * kMs));
  EXPECT_EQ(0, c.observe(kT0 + 100 * kMs, kT0 + 105 * kMs));
  EXPECT_EQ(0, c.correction_ns());
}

TEST(ClockOffset, HostBehindIsMovedForwardByItsOffset) {
  ClockOffset c;
  // The host's clock is 3 s behind: its frames look 3 s (+ transport) old on arrival.
  EXPECT_EQ(3'020 * kMs, c.observe(kT0, kT0 + 3'020 * kMs));
  // Later frames get the same shift, so the host's frames keep their spacing.
  EXPECT_EQ(3'020 * kMs, c.observe(kT0 + 500 * kMs, kT0 + 3'504 * kMs));
  EXPECT_EQ(3'020 * kMs, c.observe(kT0 + 900 * kMs, kT0 + 3'950 * kMs));
  EXPECT_EQ(3'020 * kMs, c.correction_ns());
}

TEST(ClockOffset, DelaysUnderTheThresholdAreNotCorrected) {
  ClockOffset c;
  EXPECT_EQ(0, c.observe(kT0, kT0 + 900 * kMs));  // slow transport, under the threshold
  // The clock is then seen 2 s off: the estimate is the smallest delay seen so far.
  EXPECT_EQ(0, c.observe(kT0 + 100 * kMs, kT0 + 1'050 * kMs));
  EXPECT_EQ(0, c.correction_ns());
}

TEST(ClockOffset, HostAheadIsMovedBack) {
  ClockOffset c;
  EXPECT_EQ(-1'990 * kMs, c.observe(kT0 + 2'000 * kMs, kT0 + 10 * kMs));
}

TEST(ClockOffset, ThresholdIsConfigurable) {
  ClockOffset c(200 * kMs);
  EXPECT_EQ(250 * kMs, c.observe(kT0, kT0 + 250 * kMs));
  ClockOffset d(300 * kMs);
  EXPECT_EQ(0, d.observe(kT0, kT0 + 250 * kMs));
}

}  // namespace
}  // namespace vmc::capture
