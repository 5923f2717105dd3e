#include "capture/merge.h"

#include <gtest/gtest.h>

#include "capture/test_util.h"

namespace vmc::capture {
namespace {

using testing::make_frame;
using testing::tag_of;

// Frames from a list; optionally an Error after them.
class ListSource : public FrameSource {
 public:
  ListSource(std::string name, std::vector<Frame> frames, std::optional<Error> fail = {})
      : name_(std::move(name)), frames_(std::move(frames)), fail_(std::move(fail)) {}
  Result<bool> next(FrameView& out) override {
    if (at_ == frames_.size()) {
      if (fail_) return *fail_;
      return false;
    }
    out = frames_[at_++].view();
    return true;
  }
  const std::string& name() const override { return name_; }
  int linktype() const override { return 1; }

 private:
  std::string name_;
  std::vector<Frame> frames_;
  size_t at_ = 0;
  std::optional<Error> fail_;
};

struct Recorder : MergeOutput {
  Status frame(size_t source, const FrameView& f) override {
    got.emplace_back(source, tag_of(f));
    ts.push_back(f.ts_ns);
    return {};
  }
  std::vector<std::pair<size_t, uint32_t>> got;
  std::vector<int64_t> ts;
};

// Tag = 100 * source + index, timestamps given.
std::vector<Frame> frames_at(uint32_t source, std::vector<int64_t> ts) {
  std::vector<Frame> v;
  for (uint32_t i = 0; i < ts.size(); ++i) v.push_back(make_frame(ts[i], 100 * source + i));
  return v;
}

Recorder run(std::vector<ListSource>& sources, const MergeOptions& o, MergeStats* stats = nullptr) {
  std::vector<FrameSource*> ptrs;
  for (auto& s : sources) ptrs.push_back(&s);
  Recorder r;
  auto st = merge(ptrs, o, r);
  EXPECT_TRUE(st.ok());
  if (stats && st.ok()) *stats = *st;
  return r;
}

TEST(Merge, OrdersByTimeAndBreaksTiesLikeMergecap) {
  // The same layout mergecap 4.0 was checked with: on equal timestamps the input
  // listed last goes first.
  std::vector<ListSource> s;
  s.emplace_back("a", frames_at(0, {1, 2, 2}));
  s.emplace_back("b", frames_at(1, {1, 2}));
  s.emplace_back("c", frames_at(2, {1, 3}));
  auto r = run(s, {});
  std::vector<uint32_t> tags;
  for (auto& [src, tag] : r.got) tags.push_back(tag);
  EXPECT_EQ(tags, (std::vector<uint32_t>{200, 100, 0, 101, 1, 2, 201}));
}

TEST(Merge, ConcatenateKeepsInputOrder) {
  std::vector<ListSource> s;
  s.emplace_back("a", frames_at(0, {5, 6}));
  s.emplace_back("b", frames_at(1, {1, 2}));
  MergeOptions o;
  o.concatenate = true;
  auto r = run(s, o);
  EXPECT_EQ(r.ts, (std::vector<int64_t>{5, 6, 1, 2}));
}

TEST(Merge, ReorderWindowPutsLateFramesBack) {
  std::vector<ListSource> s;
  s.emplace_back("a", frames_at(0, {10, 30, 20, 40, 35, 100}));
  s.emplace_back("b", frames_at(1, {25}));
  MergeOptions o;
  o.reorder_window_ns = 15;
  MergeStats st;
  auto r = run(s, o, &st);
  EXPECT_EQ(r.ts, (std::vector<int64_t>{10, 20, 25, 30, 35, 40, 100}));
  EXPECT_EQ(st.reordered, 2u);
  EXPECT_EQ(st.frames_out, 7u);

  // Without a window the input order is kept (as mergecap does).
  std::vector<ListSource> s2;
  s2.emplace_back("a", frames_at(0, {10, 30, 20}));
  auto r2 = run(s2, {});
  EXPECT_EQ(r2.ts, (std::vector<int64_t>{10, 30, 20}));
}

TEST(Merge, DropsCopiesSeenOnAnotherSourceWithinTheWindow) {
  auto a = frames_at(0, {100, 200, 300});
  auto b = frames_at(1, {101, 250, 400});
  b[0].data = a[0].data;  // the same frame seen 1 ns later on b: a duplicate
  b[2].data = a[2].data;  // the same bytes 100 ns later: outside the window
  std::vector<ListSource> s;
  s.emplace_back("a", a);
  s.emplace_back("b", b);
  // Repeated bytes on the same source are retransmissions, not duplicates.
  auto c = frames_at(2, {500, 501});
  c[1].data = c[0].data;
  s.emplace_back("c", c);
  MergeOptions o;
  o.dedup_window_ns = 10;
  MergeStats st;
  auto r = run(s, o, &st);
  EXPECT_EQ(st.duplicates, 1u);
  EXPECT_EQ(st.frames_out, 7u);
  EXPECT_EQ(r.ts, (std::vector<int64_t>{100, 200, 250, 300, 400, 500, 501}));
  EXPECT_EQ(st.frames_per_source, (std::vector<uint64_t>{3, 2, 2}));
}

TEST(Merge, CorruptSourceKeepsItsEarlierFramesAndTheOthersGoOn) {
  std::vector<ListSource> s;
  s.emplace_back("a", frames_at(0, {1, 2}), Error("capture.corrupt", "a: corrupt at byte offset 99"));
  s.emplace_back("b", frames_at(1, {1, 5, 6}));
  MergeStats st;
  auto r = run(s, {}, &st);
  EXPECT_EQ(r.ts, (std::vector<int64_t>{1, 1, 2, 5, 6}));
  ASSERT_EQ(st.source_errors.size(), 1u);
  EXPECT_NE(st.source_errors[0].message.find("byte offset 99"), std::string::npos);
}

TEST(Merge, OutputErrorStopsTheMerge) {
  struct Failing : MergeOutput {
    Status frame(size_t, const FrameView&) override {
      return ++n == 2 ? Status(Error("capture.write", "disk full")) : Status();
    }
    int n = 0;
  } out;
  ListSource a("a", frames_at(0, {1, 2, 3}));
  FrameSource* p = &a;
  auto st = merge(std::span<FrameSource* const>(&p, 1), {}, out);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(out.n, 2);
}

}  // namespace
}  // namespace vmc::capture
