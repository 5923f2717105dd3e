#include "capture/live_merger.h"

#include <gtest/gtest.h>

#include "capture/test_util.h"

namespace vmc::capture {
namespace {

using testing::make_frame;
using testing::tag_of;

struct Recorder : MergeOutput {
  Status frame(size_t source, const FrameView& f) override {
    got.emplace_back(source, f.ts_ns);
    return {};
  }
  std::vector<std::pair<size_t, int64_t>> got;
};

LiveMergeOptions opts(int64_t window, int64_t delay, size_t max = 1000, int64_t dedup = -1) {
  LiveMergeOptions o;
  o.window_ns = window;
  o.max_delay_ns = delay;
  o.max_frames = max;
  o.dedup_window_ns = dedup;
  return o;
}

TEST(LiveMerger, WaitsForEveryOpenStreamThenReleasesInTimeOrder) {
  LiveMerger m(opts(10, 1'000'000));
  auto a = m.add_stream();
  auto b = m.add_stream();
  Recorder r;
  m.push(a, make_frame(100, 1).view(), 0);
  m.push(a, make_frame(200, 2).view(), 0);
  ASSERT_TRUE(m.release(0, r).ok());
  EXPECT_TRUE(r.got.empty());  // b has said nothing yet: it may still send older frames
  m.push(b, make_frame(150, 3).view(), 0);
  ASSERT_TRUE(m.release(0, r).ok());
  // Horizon = min(200, 150) = 150; safe up to 140.
  EXPECT_EQ(r.got, (std::vector<std::pair<size_t, int64_t>>{{a, 100}}));
  m.end_stream(b);
  ASSERT_TRUE(m.release(0, r).ok());
  // Only a is open: safe up to 190.
  EXPECT_EQ(r.got.size(), 2u);
  ASSERT_TRUE(m.release_all(r).ok());
  EXPECT_EQ(r.got, (std::vector<std::pair<size_t, int64_t>>{{a, 100}, {b, 150}, {a, 200}}));
}

TEST(LiveMerger, AQuietStreamHoldsOthersOnlyUntilTheMaximumDelay) {
  LiveMerger m(opts(10, 500));
  auto a = m.add_stream();
  m.add_stream();  // never sends
  Recorder r;
  m.push(a, make_frame(100, 1).view(), 1000);
  ASSERT_TRUE(m.release(1499, r).ok());
  EXPECT_TRUE(r.got.empty());
  ASSERT_TRUE(m.release(1500, r).ok());
  EXPECT_EQ(r.got.size(), 1u);
}

TEST(LiveMerger, MemoryIsBoundedByMaxFrames) {
  LiveMerger m(opts(10, 1'000'000, 3));
  auto a = m.add_stream();
  m.add_stream();
  Recorder r;
  for (int64_t t = 0; t < 10; ++t) m.push(a, make_frame(t, 0).view(), 0);
  ASSERT_TRUE(m.release(0, r).ok());
  EXPECT_EQ(m.held(), 3u);
  EXPECT_EQ(r.got.size(), 7u);
}

TEST(LiveMerger, LateFramesAreWrittenAndCountedNotDropped) {
  LiveMerger m(opts(0, 1'000'000));
  auto a = m.add_stream();
  Recorder r;
  m.push(a, make_frame(100, 1).view(), 0);
  ASSERT_TRUE(m.release(0, r).ok());
  m.push(a, make_frame(50, 2).view(), 0);
  ASSERT_TRUE(m.release_all(r).ok());
  EXPECT_EQ(r.got.size(), 2u);
  EXPECT_EQ(m.late(), 1u);
}

TEST(LiveMerger, RemovesCopiesFromOverlappingStreams) {
  LiveMerger m(opts(10, 1'000'000, 1000, 100));
  auto port = m.add_stream();
  auto uplink = m.add_stream();
  Recorder r;
  auto f = make_frame(1000, 7, 200);
  m.push(port, f.view(), 0);
  f.ts_ns = 1020;
  m.push(uplink, f.view(), 0);  // the same frame seen on the uplink
  m.push(uplink, make_frame(1030, 8).view(), 0);
  ASSERT_TRUE(m.release_all(r).ok());
  EXPECT_EQ(r.got, (std::vector<std::pair<size_t, int64_t>>{{port, 1000}, {uplink, 1030}}));
  EXPECT_EQ(m.duplicates(), 1u);
}

}  // namespace
}  // namespace vmc::capture
