#include "capture/dedup.h"

#include <gtest/gtest.h>

#include "capture/test_util.h"

namespace vmc::capture {
namespace {

TEST(Deduplicator, SameBytesOnAnotherInterfaceWithinTheWindowIsADuplicate) {
  Deduplicator d(1000);
  auto f = testing::make_frame(0, 42, 300);
  EXPECT_FALSE(d.is_duplicate(f.view(), 0));
  f.ts_ns = 500;
  EXPECT_TRUE(d.is_duplicate(f.view(), 1));
  f.ts_ns = 700;
  EXPECT_FALSE(d.is_duplicate(f.view(), 0));  // same interface: a retransmission
  f.ts_ns = 5000;
  EXPECT_FALSE(d.is_duplicate(f.view(), 2));  // window passed
  EXPECT_EQ(d.duplicates(), 1u);
}

TEST(Deduplicator, DifferentBytesOrLengthsAreNotDuplicates) {
  Deduplicator d(1000);
  auto a = testing::make_frame(0, 1, 300);
  auto b = testing::make_frame(1, 2, 300);
  auto c = testing::make_frame(2, 1, 300);
  c.orig_len = 400;  // same captured bytes, different wire length
  EXPECT_FALSE(d.is_duplicate(a.view(), 0));
  EXPECT_FALSE(d.is_duplicate(b.view(), 1));
  EXPECT_FALSE(d.is_duplicate(c.view(), 1));
}

TEST(Deduplicator, ForgetsFramesOlderThanTheWindow) {
  Deduplicator d(10);
  for (int64_t t = 0; t < 100000; ++t) {
    auto f = testing::make_frame(t, static_cast<uint32_t>(t));
    ASSERT_FALSE(d.is_duplicate(f.view(), 0));
  }
  auto again = testing::make_frame(99995, 99995);
  EXPECT_TRUE(d.is_duplicate(again.view(), 1));
  auto old = testing::make_frame(99999, 5);
  EXPECT_FALSE(d.is_duplicate(old.view(), 1));
}

TEST(OverlapDeduplicator, TheLaterFilesCopiesOfDeliveredFramesAreDroppedOnce) {
  OverlapDeduplicator d;
  auto a = testing::make_frame(1000, 1, 100);
  auto b = testing::make_frame(2000, 2, 100);
  EXPECT_FALSE(d.repeats(a.view()));  // nothing delivered yet
  d.delivered(a.view());
  d.delivered(b.view());
  EXPECT_TRUE(d.repeats(a.view()));
  EXPECT_FALSE(d.repeats(a.view())) << "a second, real frame of the same time and bytes is kept";
  auto later = testing::make_frame(2001, 2, 100);  // same bytes, another time
  EXPECT_FALSE(d.repeats(later.view()));
  EXPECT_TRUE(d.repeats(b.view()));
  EXPECT_EQ(2u, d.repeated());
  EXPECT_TRUE(d.empty());
  d.delivered(a.view());
  d.clear();
  EXPECT_FALSE(d.repeats(a.view()));
}

}  // namespace
}  // namespace vmc::capture
