#include "capture/merge_files.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "capture/test_util.h"

namespace vmc::capture {
namespace {

using testing::make_frame;
using testing::pcap_bytes;
using testing::tag_of;

// Three inputs with shared timestamps, one big-endian, one in microseconds.
std::vector<std::string> write_inputs(const testing::TempDir& d) {
  std::vector<std::string> paths;
  for (uint32_t k = 0; k < 3; ++k) {
    std::vector<Frame> frames;
    int64_t ts = 1'700'000'000'000'000'000;
    for (uint32_t i = 0; i < 300; ++i) {
      ts += ((i * 7 + k * 3) % 4) * 1000;  // steps of 0..3 us: many ties across files
      frames.push_back(make_frame(ts, k * 1000 + i, 60 + (i * 37 + k) % 1400));
    }
    paths.push_back(d.file("in" + std::to_string(k) + ".pcap"));
    testing::write_file(paths.back(), pcap_bytes(frames, k == 1, k != 2));
  }
  return paths;
}

TEST(MergeFiles, OutputEqualsMergecapFrameForFrame) {
  testing::TempDir d;
  auto in = write_inputs(d);
  MergeFilesOptions o;
  o.inputs = in;
  o.output = d.file("ours.pcapng");
  auto r = merge_files(o);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->stats.frames_out, 900u);
  testing::run("mergecap -w " + d.file("theirs.pcapng") + " " + in[0] + " " + in[1] + " " + in[2]);
  auto ours = testing::read_frames(d.file("ours.pcapng"));
  auto theirs = testing::read_frames(d.file("theirs.pcapng"));
  ASSERT_EQ(theirs.size(), 900u) << "mergecap did not run";
  ASSERT_EQ(ours.size(), theirs.size());
  for (size_t i = 0; i < ours.size(); ++i) {
    ASSERT_EQ(ours[i].ts_ns, theirs[i].ts_ns) << i;
    ASSERT_EQ(ours[i].orig_len, theirs[i].orig_len) << i;
    ASSERT_EQ(ours[i].data, theirs[i].data) << i;
  }
  struct stat st {};
  ASSERT_EQ(::stat(o.output.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_FALSE(std::filesystem::exists(o.output + ".part"));
}

TEST(MergeFiles, EachInputIsAnInterfaceNamedAfterItsFile) {
  testing::TempDir d;
  auto in = write_inputs(d);
  MergeFilesOptions o;
  o.inputs = {in[0], in[2]};
  o.output = d.file("out.pcapng");
  o.merge.concatenate = true;
  ASSERT_TRUE(merge_files(o).ok());
  auto out = testing::run("tshark -r " + o.output + " -T fields -e frame.interface_name | uniq");
  EXPECT_EQ(out, "in0.pcap\nin2.pcap\n");
}

TEST(MergeFiles, SnaplenCutsFramesButKeepsTheirLength) {
  testing::TempDir d;
  auto in = write_inputs(d);
  MergeFilesOptions o;
  o.inputs = {in[0]};
  o.output = d.file("out.pcapng");
  o.snaplen = 64;
  ASSERT_TRUE(merge_files(o).ok());
  auto frames = testing::read_frames(o.output);
  ASSERT_EQ(frames.size(), 300u);
  for (const auto& f : frames) {
    EXPECT_LE(f.data.size(), 64u);
    EXPECT_GE(f.orig_len, f.data.size());
  }
  EXPECT_EQ(frames[5].orig_len, 60u + (5 * 37) % 1400);
}

TEST(MergeFiles, CorruptInputKeepsFramesBeforeItAndIsReported) {
  testing::TempDir d;
  auto in = write_inputs(d);
  auto bytes = testing::read_file(in[1]);
  bytes.resize(bytes.size() / 2);
  testing::write_file(in[1], bytes);
  MergeFilesOptions o;
  o.inputs = in;
  o.output = d.file("out.pcapng");
  auto r = merge_files(o);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->stats.source_errors.size(), 1u);
  EXPECT_NE(r->stats.source_errors[0].message.find("in1.pcap"), std::string::npos);
  const uint64_t kept = r->stats.frames_per_source[1];
  EXPECT_GT(kept, 100u);
  EXPECT_LT(kept, 300u);
  auto frames = testing::read_frames(o.output);
  EXPECT_EQ(frames.size(), 600u + kept);
  // Every kept frame of in1 is one of its first `kept` frames.
  uint64_t from1 = 0;
  for (const auto& f : frames) {
    const uint32_t tag = tag_of(f.view());
    if (tag >= 1000 && tag < 2000) {
      EXPECT_LT(tag - 1000, kept);
      ++from1;
    }
  }
  EXPECT_EQ(from1, kept);
}

TEST(MergeFiles, UnreadableInputFailsBeforeWritingAnything) {
  testing::TempDir d;
  MergeFilesOptions o;
  o.inputs = {d.file("missing.pcap")};
  o.output = d.file("out.pcapng");
  auto r = merge_files(o);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("missing.pcap"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(o.output));
  EXPECT_FALSE(std::filesystem::exists(o.output + ".part"));
}

TEST(MergeFiles, RefusesToOverwriteAnInput) {
  testing::TempDir d;
  auto in = write_inputs(d);
  MergeFilesOptions o;
  o.inputs = in;
  o.output = in[0];
  EXPECT_FALSE(merge_files(o).ok());
}

}  // namespace
}  // namespace vmc::capture
