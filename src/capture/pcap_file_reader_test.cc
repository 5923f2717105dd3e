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

}  // namespace
}  // namespace vmc::capture
