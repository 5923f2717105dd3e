#include "capture/pcapng_writer.h"

#include <gtest/gtest.h>

#include "capture/test_util.h"

namespace vmc::capture {
namespace {

using testing::make_frame;
using testing::tag_of;

// Writes a small session file: two pins, directions, a comment and statistics.
std::string write_sample(const testing::TempDir& d) {
  MemorySink sink;
  PcapngWriter w(sink, 4096);  // small buffer: several flushes
  SectionInfo s;
  s.user_appl = "vm-capture 0.1.0";
  s.comments = {"vCenter vc01.lab; VM testvm1; plan dhcp-boot"};
  EXPECT_TRUE(w.begin_section(s).ok());
  auto in = w.add_interface({"esx01:33554442:in", "testvm1, Network adapter 1, 00:50:56:aa:bb:cc", 1, 0});
  auto out = w.add_interface({"esx01:33554442:out", "testvm1, Network adapter 1, 00:50:56:aa:bb:cc", 1, 0});
  EXPECT_TRUE(in.ok() && out.ok());
  EXPECT_EQ(*in, 0u);
  EXPECT_EQ(*out, 1u);
  for (uint32_t i = 0; i < 100; ++i) {
    auto f = make_frame(1'700'000'000'000'000'000 + i * 1001, i, 60 + i * 13);
    std::vector<std::string> comments;
    if (i == 50) comments.push_back("re-pinned: testvm1 moved to esx02 (vMotion)");
    EXPECT_TRUE(w.write(i % 2 ? *out : *in, f.ts_ns, f.orig_len + (i == 3 ? 10 : 0), f.data,
                        i % 2 ? kFlagOutbound : kFlagInbound, comments)
                    .ok());
  }
  InterfaceStats st{1'700'000'000'000'000'000, 1'700'000'000'000'100'000, 50, 0,
                    "pin stopped: VM moved to esx02"};
  EXPECT_TRUE(w.write_stats(*in, 1'700'000'000'000'100'000, st).ok());
  EXPECT_TRUE(w.flush().ok());
  EXPECT_EQ(w.bytes_written(), sink.data.size());
  EXPECT_EQ(sink.data.size() % 4, 0u);
  std::string path = d.file("s.pcapng");
  testing::write_file(path, sink.data);
  return path;
}

TEST(PcapngWriter, RoundTripsThroughLibpcap) {
  testing::TempDir d;
  auto frames = testing::read_frames(write_sample(d));
  ASSERT_EQ(frames.size(), 100u);
  for (uint32_t i = 0; i < 100; ++i) {
    auto want = make_frame(1'700'000'000'000'000'000 + i * 1001, i, 60 + i * 13);
    EXPECT_EQ(frames[i].ts_ns, want.ts_ns) << i;
    EXPECT_EQ(frames[i].data, want.data) << i;
    EXPECT_EQ(frames[i].orig_len, want.orig_len + (i == 3 ? 10 : 0)) << i;
  }
}

TEST(PcapngWriter, TsharkShowsInterfacesDirectionsAndCommentsWithoutWarnings) {
  testing::TempDir d;
  auto path = write_sample(d);
  std::string err;
  auto out = testing::run("tshark -r " + path +
                              " -T fields -e frame.interface_name"
                              " -e frame.packet_flags_direction -e frame.comment"
                              " -e frame.interface_description",
                          &err);
  // tshark's only stderr line may be its warning about running as root.
  std::string rest;
  for (size_t at = 0; at < err.size();) {
    size_t nl = err.find('\n', at);
    std::string line = err.substr(at, nl == std::string::npos ? std::string::npos : nl - at);
    if (!line.empty() && line.find("Running as user") == std::string::npos) rest += line + "\n";
    if (nl == std::string::npos) break;
    at = nl + 1;
  }
  EXPECT_EQ(rest, "");
  std::vector<std::string> lines;
  for (size_t at = 0; at < out.size();) {
    size_t nl = out.find('\n', at);
    lines.push_back(out.substr(at, nl - at));
    at = nl + 1;
  }
  ASSERT_EQ(lines.size(), 100u) << out;
  const std::string desc = "testvm1, Network adapter 1, 00:50:56:aa:bb:cc";
  EXPECT_EQ(lines[0], "esx01:33554442:in\t0x00000001\t\t" + desc);
  EXPECT_EQ(lines[1], "esx01:33554442:out\t0x00000002\t\t" + desc);
  EXPECT_EQ(lines[50], "esx01:33554442:in\t0x00000001\tre-pinned: testvm1 moved to esx02 (vMotion)\t" + desc);

  auto info = testing::run("capinfos " + path);
  EXPECT_NE(info.find("vm-capture 0.1.0"), std::string::npos) << info;
  EXPECT_NE(info.find("vCenter vc01.lab; VM testvm1; plan dhcp-boot"), std::string::npos) << info;
}

TEST(PcapngWriter, BlocksHaveTheLayoutOfTheSpecification) {
  MemorySink sink;
  PcapngWriter w(sink);
  ASSERT_TRUE(w.begin_section({}).ok());
  ASSERT_TRUE(w.add_interface({"a", "", 1, 0}).ok());
  const uint8_t data[5] = {1, 2, 3, 4, 5};
  ASSERT_TRUE(w.write(0, (int64_t{1} << 32) + 7, 9, data).ok());
  ASSERT_TRUE(w.flush().ok());
  auto u32 = [&](size_t at) {
    return uint32_t{sink.data[at]} | uint32_t{sink.data[at + 1]} << 8 |
           uint32_t{sink.data[at + 2]} << 16 | uint32_t{sink.data[at + 3]} << 24;
  };
  EXPECT_EQ(u32(0), 0x0A0D0D0Au);
  EXPECT_EQ(u32(4), 28u);  // SHB without options
  EXPECT_EQ(u32(8), 0x1A2B3C4Du);
  EXPECT_EQ(u32(24), 28u);
  const size_t idb = 28;
  EXPECT_EQ(u32(idb), 1u);
  const uint32_t idb_len = u32(idb + 4);
  EXPECT_EQ(idb_len, 20u + 8 + 8 + 4);  // if_name "a", if_tsresol, end
  EXPECT_EQ(u32(idb + idb_len - 4), idb_len);
  const size_t epb = idb + idb_len;
  EXPECT_EQ(u32(epb), 6u);
  EXPECT_EQ(u32(epb + 4), 32u + 8);  // 5 bytes padded to 8, no options
  EXPECT_EQ(u32(epb + 12), 1u);      // timestamp high
  EXPECT_EQ(u32(epb + 16), 7u);      // timestamp low
  EXPECT_EQ(u32(epb + 20), 5u);
  EXPECT_EQ(u32(epb + 24), 9u);
  EXPECT_EQ(sink.data.size(), epb + 40);
}

class FailingSink : public ByteSink {
 public:
  Status write(std::span<const uint8_t>) override { return Error("capture.write", "disk full"); }
};

TEST(PcapngWriter, SinkErrorsAreReported) {
  FailingSink sink;
  PcapngWriter w(sink, 4096);
  ASSERT_TRUE(w.begin_section({}).ok());
  ASSERT_TRUE(w.add_interface({"a", "", 1, 0}).ok());
  auto f = make_frame(1, 1, 1000);
  Status st;
  for (int i = 0; i < 10 && st.ok(); ++i) st = w.write(0, f.ts_ns, f.orig_len, f.data);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().message, "disk full");
}

}  // namespace
}  // namespace vmc::capture
