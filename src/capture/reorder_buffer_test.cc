#include "capture/reorder_buffer.h"

#include <gtest/gtest.h>

#include "capture/test_util.h"

namespace vmc::capture {
namespace {

TEST(ReorderBuffer, HoldsFramesUntilTheWindowHasPassed) {
  ReorderBuffer b(10, 100);
  b.push(testing::make_frame(100, 1).view());
  EXPECT_FALSE(b.ready());
  b.push(testing::make_frame(95, 2).view());
  EXPECT_FALSE(b.ready());  // 100 - 95 = 5: 95 may still be followed by an older frame
  b.push(testing::make_frame(110, 3).view());
  EXPECT_TRUE(b.ready());  // 110 - 95 = 15 > 10
  EXPECT_EQ(b.size(), 3u);
}

TEST(ReorderBuffer, ReleasesOldestFirstAndEqualTimesInArrivalOrder) {
  ReorderBuffer b(0, 100);
  b.push(testing::make_frame(5, 1).view());
  b.push(testing::make_frame(5, 2).view());
  b.push(testing::make_frame(3, 3).view());
  std::vector<uint32_t> tags;
  Frame f;
  while (!b.empty()) {
    b.pop(f);
    tags.push_back(testing::tag_of(f.view()));
  }
  EXPECT_EQ(tags, (std::vector<uint32_t>{3, 1, 2}));
  EXPECT_EQ(b.reordered(), 1u);
}

TEST(ReorderBuffer, IsBoundedByMaxFrames) {
  ReorderBuffer b(1'000'000, 2);
  b.push(testing::make_frame(1, 1).view());
  EXPECT_FALSE(b.ready());
  b.push(testing::make_frame(2, 2).view());
  EXPECT_TRUE(b.ready());
}

}  // namespace
}  // namespace vmc::capture
