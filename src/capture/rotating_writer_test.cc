#include "capture/rotating_writer.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <filesystem>

#include "capture/pcap_file_reader.h"
#include "capture/test_util.h"

namespace vmc::capture {
namespace {

using testing::make_frame;
using testing::tag_of;
namespace fs = std::filesystem;

constexpr int64_t kStart = 1'764'140'000'000'000'000;  // 2025-11-26T06:53:20Z

// Writes `n` frames 1 ms apart alternating two interfaces; returns the writer closed.
std::unique_ptr<RotatingWriter> write_frames(const std::string& path, model::Rotation rot,
                                             uint32_t n) {
  RotatingOptions o;
  o.path = path;
  o.rotation = rot;
  o.section.user_appl = "vm-capture test";
  auto w = RotatingWriter::open(o);
  EXPECT_TRUE(w.ok()) << w.error().message;
  auto a = (*w)->add_interface({"esx01:1:in", "", 1, 0});
  auto b = (*w)->add_interface({"esx01:1:out", "", 1, 0});
  EXPECT_TRUE(a.ok() && b.ok());
  for (uint32_t i = 0; i < n; ++i) {
    auto f = make_frame(kStart + int64_t{i} * 1'000'000, i, 60 + (i * 97) % 1400);
    auto s = (*w)->write(i % 2 ? *b : *a, f.view(), i % 2 ? kFlagOutbound : kFlagInbound);
    EXPECT_TRUE(s.ok()) << s.error().message;
  }
  EXPECT_TRUE((*w)->close().ok());
  return std::move(*w);
}

// Tags of every frame in the files, in file order.
std::vector<uint32_t> tags_in(const std::vector<OutputFile>& files) {
  std::vector<uint32_t> tags;
  for (const auto& f : files) {
    auto frames = testing::read_frames(f.path);
    EXPECT_EQ(frames.size(), f.frames) << f.path;
    for (const auto& fr : frames) tags.push_back(tag_of(fr.view()));
  }
  return tags;
}

std::vector<uint32_t> iota(uint32_t from, uint32_t to) {
  std::vector<uint32_t> v;
  for (uint32_t i = from; i < to; ++i) v.push_back(i);
  return v;
}

class RotationKinds : public ::testing::TestWithParam<model::Rotation> {};

TEST_P(RotationKinds, NeverLosesOrDuplicatesAFrame) {
  testing::TempDir d;
  auto w = write_frames(d.file("cap.pcapng"), GetParam(), 1000);
  const auto& files = w->files();
  EXPECT_GT(files.size(), 3u);
  EXPECT_EQ(tags_in(files), iota(0, 1000));
  for (const auto& f : files) {
    struct stat st {};
    ASSERT_EQ(::stat(f.path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    EXPECT_EQ(static_cast<uint64_t>(st.st_size), f.bytes);
  }
  for (const auto& e : fs::directory_iterator(d.path()))
    EXPECT_NE(e.path().extension(), ".part") << e.path();
  EXPECT_EQ(w->frames(), 1000u);
}

model::Rotation by_packets() { model::Rotation r; r.max_packets = 64; return r; }
model::Rotation by_bytes() { model::Rotation r; r.max_bytes = 50'000; return r; }
model::Rotation by_time() { model::Rotation r; r.max_age = std::chrono::milliseconds(150); return r; }

INSTANTIATE_TEST_SUITE_P(All, RotationKinds,
                         ::testing::Values(by_packets(), by_bytes(), by_time()));

TEST(RotatingWriter, AFullDiskKeepsTheFramesWrittenBeforeIt) {
  // The file size limit stands in for a full disk: writes past 64 KiB fail (EFBIG).
  testing::TempDir d;
  const std::string path = d.file("full.pcapng");
  RotatingOptions o;
  o.path = path;
  auto w = RotatingWriter::open(o);
  ASSERT_TRUE(w.ok()) << w.error().message;
  auto a = (*w)->add_interface({"esx01:1:in", "", 1, 0});
  ASSERT_TRUE(a.ok());
  struct rlimit old_limit {};
  ASSERT_EQ(0, getrlimit(RLIMIT_FSIZE, &old_limit));
  auto old_handler = signal(SIGXFSZ, SIG_IGN);
  struct rlimit small = old_limit;
  small.rlim_cur = 64 * 1024;
  ASSERT_EQ(0, setrlimit(RLIMIT_FSIZE, &small));
  Status failed;
  uint32_t written = 0;
  for (uint32_t i = 0; i < 2000 && failed.ok(); ++i) {
    auto f = make_frame(kStart + int64_t{i} * 1'000'000, i, 500);
    failed = (*w)->write(*a, f.view(), kFlagInbound);
    if (failed.ok()) failed = (*w)->flush();
    if (failed.ok()) written = i + 1;
  }
  auto closed = (*w)->close();
  setrlimit(RLIMIT_FSIZE, &old_limit);
  signal(SIGXFSZ, old_handler);
  EXPECT_FALSE(failed.ok() && closed.ok()) << "the limit never hit";
  ASSERT_TRUE(fs::exists(path)) << "the partial file was thrown away";
  // Every frame before the failure reads back, in order; only a torn last block may not.
  auto r = PcapFileReader::open(path);
  ASSERT_TRUE(r.ok()) << r.error().message;
  FrameView v;
  uint32_t read = 0;
  for (;;) {
    auto n = (*r)->next(v);
    if (!n || !*n) break;
    EXPECT_EQ(read, tag_of(v));
    ++read;
  }
  EXPECT_GT(read, 50u);
  EXPECT_GE(read + 1, written);
}

TEST(RotatingWriter, LimitsAreKept) {
  testing::TempDir d;
  auto w = write_frames(d.file("p.pcapng"), by_bytes(), 500);
  for (const auto& f : w->files()) EXPECT_LE(f.bytes, 50'000u);
  auto t = write_frames(d.file("t.pcapng"), by_time(), 500);
  for (const auto& f : t->files()) EXPECT_LT(f.last_ns - f.first_ns, 150'000'000);
  auto p = write_frames(d.file("n.pcapng"), by_packets(), 500);
  for (const auto& f : p->files()) EXPECT_LE(f.frames, 64u);
}

TEST(RotatingWriter, RingKeepsTheNewestFilesWithTheirFramesWhole) {
  testing::TempDir d;
  auto rot = by_packets();
  rot.ring = 3;
  auto w = write_frames(d.file("cap.pcapng"), rot, 1000);
  ASSERT_EQ(w->files().size(), 3u);
  EXPECT_EQ(w->files_removed(), 13u);  // 1000 / 64 -> 16 files
  EXPECT_EQ(tags_in(w->files()), iota(64 * 13, 1000));
  size_t on_disk = 0;
  for (const auto& e : fs::directory_iterator(d.path())) {
    (void)e;
    ++on_disk;
  }
  EXPECT_EQ(on_disk, 3u);
}

TEST(RotatingWriter, RotatedNamesCarryNumberAndFirstFrameTime) {
  EXPECT_EQ(rotated_name("/x/cap.pcapng", 7, kStart), "/x/cap_00007_20251126065320.pcapng");
  EXPECT_EQ(rotated_name("cap", 1, kStart), "cap_00001_20251126065320.pcapng");
}

TEST(RotatingWriter, EveryFileHasAllInterfacesAndReadsCleanInTshark) {
  testing::TempDir d;
  auto w = write_frames(d.file("cap.pcapng"), by_packets(), 130);
  ASSERT_EQ(w->files().size(), 3u);
  std::string err;
  auto out = testing::run("tshark -r " + w->files()[2].path +
                              " -T fields -e frame.interface_name -e frame.packet_flags_direction",
                          &err);
  EXPECT_EQ(out, "esx01:1:in\t0x00000001\nesx01:1:out\t0x00000002\n");
}

TEST(RotatingWriter, EmptyCaptureStillGivesAValidFile) {
  testing::TempDir d;
  auto w = write_frames(d.file("empty.pcapng"), {}, 0);
  ASSERT_EQ(w->files().size(), 1u);
  EXPECT_EQ(w->files()[0].path, d.file("empty.pcapng"));
  EXPECT_TRUE(testing::read_frames(d.file("empty.pcapng")).empty());
}

TEST(RotatingWriter, CommentsGoToTheNextFrameOfTheirInterfaceOrToItsStatistics) {
  testing::TempDir d;
  RotatingOptions o;
  o.path = d.file("c.pcapng");
  auto w = RotatingWriter::open(o);
  ASSERT_TRUE(w.ok());
  auto a = *(*w)->add_interface({"a", "", 1, 0});
  auto b = *(*w)->add_interface({"b", "", 1, 0});
  (*w)->comment(b, "re-pinned b");
  (*w)->comment(a, "gap on a");
  ASSERT_TRUE((*w)->write(a, make_frame(kStart, 1).view(), 0).ok());
  ASSERT_TRUE((*w)->write(a, make_frame(kStart + 1, 2).view(), 0).ok());
  ASSERT_TRUE((*w)->close().ok());
  std::string err;
  auto out = testing::run("tshark -r " + o.path + " -T fields -e frame.comment", &err);
  EXPECT_EQ(out, "gap on a\n\n");
  // "re-pinned b" had no frame to ride on: it is in b's statistics block.
  auto bytes = testing::read_file(o.path);
  std::string s(bytes.begin(), bytes.end());
  EXPECT_NE(s.find("re-pinned b"), std::string::npos);
  EXPECT_EQ(err.find("arning"), std::string::npos) << err;
}

TEST(RotatingWriter, StandardOutputCannotRotate) {
  RotatingOptions o;
  o.path = "-";
  o.rotation = by_packets();
  auto w = RotatingWriter::open(o);
  ASSERT_FALSE(w.ok());
  EXPECT_NE(w.error().message.find("standard output"), std::string::npos);
}

}  // namespace
}  // namespace vmc::capture
