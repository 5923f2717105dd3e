#include "capture/pcap_file_reader.h"

#include <gtest/gtest.h>

#include "capture/test_util.h"

namespace vmc::capture {
namespace {

using testing::make_frame;
using testing::pcap_bytes;
using testing::tag_of;

TEST(PcapFileReader, ReadsBothByteOrdersInNanoseconds) {
  testing::TempDir d;
  std::vector<Frame> frames = {make_frame(1'600'000'000'123'456'789, 7, 100),
                               make_frame(1'600'000'001'000'000'001, 8, 60)};
  for (bool big : {false, true}) {
    testing::write_file(d.file("a.pcap"), pcap_bytes(frames, big, true));
    auto got = testing::read_frames(d.file("a.pcap"));
    ASSERT_EQ(got.size(), 2u);
    EXPECT_EQ(got[0].ts_ns, frames[0].ts_ns);
    EXPECT_EQ(got[1].ts_ns, frames[1].ts_ns);
    EXPECT_EQ(got[0].data, frames[0].data);
    EXPECT_EQ(tag_of(got[1].view()), 8u);
  }
}

TEST(PcapFileReader, MissingFileIsAnErrorNamingIt) {
  auto r = PcapFileReader::open("/nonexistent/x.pcap");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("/nonexistent/x.pcap"), std::string::npos);
}

TEST(PcapFileReader, GarbageIsAFormatError) {
  testing::TempDir d;
  testing::write_file(d.file("g.pcap"), std::vector<uint8_t>(100, 'g'));
  auto r = PcapFileReader::open(d.file("g.pcap"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "capture.format");
  EXPECT_NE(r.error().message.find("g.pcap"), std::string::npos);
}

TEST(PcapFileReader, TruncatedFileKeepsFramesBeforeAndNamesTheOffset) {
  testing::TempDir d;
  std::vector<Frame> frames;
  for (uint32_t i = 0; i < 5; ++i) frames.push_back(make_frame(1'000'000'000 * (i + 1), i, 80));
  auto bytes = pcap_bytes(frames);
  bytes.resize(bytes.size() - 30);  // cut into the last frame's data
  testing::write_file(d.file("t.pcap"), bytes);
  auto r = PcapFileReader::open(d.file("t.pcap"));
  ASSERT_TRUE(r.ok());
  FrameView v;
  uint32_t good = 0;
  Result<bool> n = true;
  while ((n = (*r)->next(v)) && *n) EXPECT_EQ(tag_of(v), good++);
  EXPECT_EQ(good, 4u);
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.error().code, "capture.corrupt");
  EXPECT_NE(n.error().message.find("t.pcap"), std::string::npos);
  EXPECT_NE(n.error().message.find("byte offset"), std::string::npos) << n.error().message;
  EXPECT_NE(n.error().message.find("after 4 good frames"), std::string::npos) << n.error().message;
}

// A pcapng interface may count in whole seconds (if_tsresol 0): a damaged timestamp
// then names a time beyond what nanoseconds in an int64 hold (found by fuzzing).
TEST(PcapFileReader, TimestampBeyondTheNanosecondRangeIsACorruptionError) {
  auto le32 = [](std::vector<uint8_t>& b, uint32_t v) {
    for (int i = 0; i < 4; ++i) b.push_back(static_cast<uint8_t>(v >> (8 * i)));
  };
  std::vector<uint8_t> b;
  // Section header block: magic, version 1.0, section length unknown.
  le32(b, 0x0A0D0D0A), le32(b, 28), le32(b, 0x1A2B3C4D), le32(b, 0x00000001);
  le32(b, 0xFFFFFFFF), le32(b, 0xFFFFFFFF), le32(b, 28);
  // Interface description block: Ethernet, if_tsresol = 0 (seconds), end of options.
  le32(b, 1), le32(b, 32), le32(b, 1), le32(b, 0x0000FFFF);
  le32(b, 0x00010009), le32(b, 0), le32(b, 0), le32(b, 32);
  // Enhanced packet block, 4 bytes of data, at 2^50 s after 1970.
  for (uint32_t hi : {0u, 0x40000u}) {
    le32(b, 6), le32(b, 36), le32(b, 0), le32(b, hi), le32(b, 5), le32(b, 4), le32(b, 4);
    le32(b, 0xDDCCBBAA), le32(b, 36);
  }
  testing::TempDir d;
  testing::write_file(d.file("far.pcapng"), b);
  auto r = PcapFileReader::open(d.file("far.pcapng"));
  ASSERT_TRUE(r.ok()) << r.error().message;
  FrameView v;
  auto first = (*r)->next(v);
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(v.ts_ns, 5'000'000'000);
  auto second = (*r)->next(v);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code, "capture.corrupt");
  EXPECT_NE(second.error().message.find("far.pcapng: frame 2 has timestamp"), std::string::npos)
      << second.error().message;
}

}  // namespace
}  // namespace vmc::capture
