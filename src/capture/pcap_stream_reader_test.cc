#include "capture/pcap_stream_reader.h"

#include <gtest/gtest.h>

#include "capture/test_util.h"

namespace vmc::capture {
namespace {

using testing::make_frame;
using testing::pcap_bytes;
using testing::tag_of;

std::vector<Frame> sample() {
  return {make_frame(1'700'000'000'000'000'123, 1, 60), make_frame(1'700'000'000'000'001'000, 2, 1514),
          make_frame(1'700'000'001'000'000'000, 3, 0)};
}

// Pushes `bytes` in chunks of `chunk` and collects every frame.
std::vector<Frame> drain(PcapStreamReader& r, const std::vector<uint8_t>& bytes, size_t chunk,
                         std::optional<Error>* error = nullptr) {
  std::vector<Frame> out;
  for (size_t at = 0; at < bytes.size(); at += chunk) {
    r.push(std::span(bytes).subspan(at, std::min(chunk, bytes.size() - at)));
    for (;;) {
      auto f = r.next();
      if (!f) {
        if (error) *error = f.error();
        return out;
      }
      if (!*f) break;
      Frame copy;
      copy.assign(**f);
      out.push_back(copy);
    }
  }
  return out;
}

class StreamFormats : public ::testing::TestWithParam<std::tuple<bool, bool, size_t>> {};

TEST_P(StreamFormats, DeliversEveryFrameWhateverTheChunking) {
  const auto [big, nanos, chunk] = GetParam();
  auto frames = sample();
  if (!nanos) frames[0].ts_ns -= 123;  // microsecond files cannot hold the nanoseconds
  PcapStreamReader r("esx01:33554442:in");
  auto got = drain(r, pcap_bytes(frames, big, nanos), chunk);
  ASSERT_EQ(got.size(), frames.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].ts_ns, frames[i].ts_ns) << i;
    EXPECT_EQ(got[i].orig_len, frames[i].orig_len) << i;
    EXPECT_EQ(got[i].data, frames[i].data) << i;
  }
  EXPECT_TRUE(r.finish().ok());
  ASSERT_TRUE(r.header());
  EXPECT_EQ(r.header()->swapped, big);
  EXPECT_EQ(r.header()->nanos, nanos);
  EXPECT_EQ(r.frames(), 3u);
}

INSTANTIATE_TEST_SUITE_P(All, StreamFormats,
                         ::testing::Combine(::testing::Bool(), ::testing::Bool(),
                                            ::testing::Values(1, 7, 100000)));

TEST(PcapStreamReader, TruncatedStreamNamesSourceAndOffsetAndKeepsEarlierFrames) {
  auto bytes = pcap_bytes(sample());
  bytes.resize(bytes.size() - 5);  // the last record has no data: cut its header
  PcapStreamReader r("esx01:33554442:out");
  auto got = drain(r, bytes, 1000);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(tag_of(got[1].view()), 2u);
  auto st = r.finish();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, "capture.truncated");
  const uint64_t offset = 24 + 16 + 60 + 16 + 1514;
  EXPECT_NE(st.error().message.find("esx01:33554442:out"), std::string::npos) << st.error().message;
  EXPECT_NE(st.error().message.find("byte offset " + std::to_string(offset)), std::string::npos)
      << st.error().message;
}

TEST(PcapStreamReader, CorruptRecordMidStreamIsAStickyErrorAfterTheGoodFrames) {
  auto bytes = pcap_bytes(sample());
  const size_t second = 24 + 16 + 60;
  bytes[second + 8] = 0xff;  // caplen of record 2 becomes huge
  bytes[second + 9] = 0xff;
  bytes[second + 10] = 0xff;
  PcapStreamReader r("s");
  std::optional<Error> err;
  auto got = drain(r, bytes, 3, &err);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(tag_of(got[0].view()), 1u);
  ASSERT_TRUE(err);
  EXPECT_EQ(err->code, "capture.corrupt");
  EXPECT_NE(err->message.find("byte offset " + std::to_string(second)), std::string::npos)
      << err->message;
  EXPECT_FALSE(r.next().ok());
  EXPECT_FALSE(r.finish().ok());
}

TEST(PcapStreamReader, RejectsWhatIsNotPcap) {
  PcapStreamReader r("s");
  std::vector<uint8_t> text(40, 'x');
  r.push(text);
  auto f = r.next();
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.error().code, "capture.format");
  EXPECT_NE(f.error().message.find("not a pcap stream"), std::string::npos);

  PcapStreamReader ng("s");
  std::vector<uint8_t> shb = {0x0a, 0x0d, 0x0d, 0x0a};
  shb.resize(24);
  ng.push(shb);
  auto g = ng.next();
  ASSERT_FALSE(g.ok());
  EXPECT_NE(g.error().message.find("pcapng"), std::string::npos);
}

TEST(PcapStreamReader, EmptyStreamIsReportedAtFinish) {
  PcapStreamReader r("esx02:1:in");
  auto f = r.next();
  ASSERT_TRUE(f.ok());
  EXPECT_FALSE(*f);
  auto st = r.finish();
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("pcap header"), std::string::npos);
}

TEST(PcapStreamReader, OutOfRangeMicrosecondsAreCorruption) {
  auto frames = sample();
  auto bytes = pcap_bytes(frames, false, false);
  bytes[24 + 4] = 0xff;  // usec of record 1 = 0x...ff: make it >= 1e6
  bytes[24 + 5] = 0xff;
  bytes[24 + 6] = 0xff;
  PcapStreamReader r("s");
  std::optional<Error> err;
  auto got = drain(r, bytes, bytes.size(), &err);
  EXPECT_TRUE(got.empty());
  ASSERT_TRUE(err);
  EXPECT_NE(err->message.find("byte offset 24"), std::string::npos) << err->message;
}

}  // namespace
}  // namespace vmc::capture
