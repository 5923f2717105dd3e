#include "host/backoff.h"

#include <gtest/gtest.h>

namespace vmc::host {
namespace {

TEST(Backoff, DoublesCapsAndResets) {
  using ms = std::chrono::milliseconds;
  Backoff b(ms(500), ms(3000));
  EXPECT_EQ(b.next_delay(), ms(500));
  EXPECT_EQ(b.next_delay(), ms(1000));
  EXPECT_EQ(b.next_delay(), ms(2000));
  EXPECT_EQ(b.next_delay(), ms(3000));
  for (int i = 0; i < 100; ++i) EXPECT_EQ(b.next_delay(), ms(3000));
  EXPECT_EQ(b.failures(), 104);
  b.reset();
  EXPECT_EQ(b.next_delay(), ms(500));
}

}  // namespace
}  // namespace vmc::host
