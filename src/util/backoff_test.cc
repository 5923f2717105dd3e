#include "util/backoff.h"

#include <gtest/gtest.h>

#include <limits>

namespace vmc::util {
namespace {

using namespace std::chrono_literals;
using ms = std::chrono::milliseconds;

TEST(Backoff, DoublesCapsAndResets) {
  Backoff b(500ms, 3s);
  EXPECT_EQ(ms(500), b.next_delay());
  EXPECT_EQ(ms(1000), b.next_delay());
  EXPECT_EQ(ms(2000), b.next_delay());
  EXPECT_EQ(ms(3000), b.next_delay());
  for (int i = 0; i < 100; ++i) EXPECT_EQ(ms(3000), b.next_delay());
  EXPECT_EQ(104, b.failures());
  b.reset();
  EXPECT_EQ(0, b.failures());
  EXPECT_EQ(ms(500), b.next_delay());
}

TEST(Backoff, DelayForAnAttemptNeverOverflows) {
  Backoff b;  // 1 s doubling to 30 s, as vCenter and SSH reconnects use
  EXPECT_EQ(ms(1000), b.delay_for(0));
  EXPECT_EQ(ms(1000), b.delay_for(-3));
  EXPECT_EQ(ms(16000), b.delay_for(4));
  EXPECT_EQ(ms(30000), b.delay_for(5));
  EXPECT_EQ(ms(30000), b.delay_for(50));
  EXPECT_EQ(ms(30000), b.delay_for(std::numeric_limits<int>::max()));
  // A ceiling below the start is the start.
  EXPECT_EQ(ms(200), Backoff(200ms, 100ms).delay_for(3));
}

TEST(KeyedBackoff, EachKeyWaitsOnItsOwnAndClearsOnSuccess) {
  KeyedBackoff b(500ms, 2s);
  const KeyedBackoff::TimePoint t0{};
  EXPECT_TRUE(b.ready("esx01", t0));
  EXPECT_EQ(ms(500), b.failed("esx01", t0));
  EXPECT_FALSE(b.ready("esx01", t0 + 499ms));
  EXPECT_TRUE(b.ready("esx01", t0 + 500ms));
  EXPECT_TRUE(b.ready("esx02", t0));
  EXPECT_EQ(ms(1000), b.failed("esx01", t0));
  EXPECT_FALSE(b.ready("esx01", t0 + 999ms));
  EXPECT_EQ(ms(2000), b.failed("esx01", t0));
  EXPECT_EQ(ms(2000), b.failed("esx01", t0));
  EXPECT_EQ(ms(500), b.failed("esx02", t0));
  b.succeeded("esx01");
  EXPECT_TRUE(b.ready("esx01", t0));
  EXPECT_EQ(ms(500), b.failed("esx01", t0));
}

}  // namespace
}  // namespace vmc::util
