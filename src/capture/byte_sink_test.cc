#include "capture/byte_sink.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "capture/test_util.h"

namespace vmc::capture {
namespace {

TEST(FdSink, WritesEverythingAndNamesTheDestinationOnError) {
  testing::TempDir d;
  int fd = ::open(d.file("f").c_str(), O_WRONLY | O_CREAT, 0600);
  ASSERT_GE(fd, 0);
  FdSink sink(fd, "f");
  std::vector<uint8_t> bytes(100000, 7);
  ASSERT_TRUE(sink.write(bytes).ok());
  ::close(fd);
  EXPECT_EQ(testing::read_file(d.file("f")), bytes);
  FdSink bad(-1, "nowhere.pcapng");
  auto st = bad.write(bytes);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("nowhere.pcapng"), std::string::npos);
}

TEST(AsyncFdSink, WritesBuffersInOrderAndExchangesThem) {
  testing::TempDir d;
  int fd = ::open(d.file("f").c_str(), O_WRONLY | O_CREAT, 0600);
  ASSERT_GE(fd, 0);
  std::vector<uint8_t> expected;
  {
    AsyncFdSink sink(fd, "f");
    std::vector<uint8_t> buf(4096);
    for (int i = 0; i < 100; ++i) {
      const size_t len = 1 + (i * 37) % 4096;
      for (size_t j = 0; j < len; ++j) buf[j] = static_cast<uint8_t>(i + j);
      expected.insert(expected.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(len));
      ASSERT_TRUE(sink.write_buffer(buf, len).ok());
      ASSERT_EQ(buf.size(), 4096u);
    }
    ASSERT_TRUE(sink.finish().ok());
  }
  ::close(fd);
  EXPECT_EQ(testing::read_file(d.file("f")), expected);
}

TEST(AsyncFdSink, ReportsAWriteErrorLater) {
  AsyncFdSink sink(-1, "broken.pcapng");
  std::vector<uint8_t> buf(10, 1);
  Status st = sink.write_buffer(buf, 10);  // handed over: the failure comes later
  if (st.ok()) st = sink.finish();
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("broken.pcapng"), std::string::npos);
}

}  // namespace
}  // namespace vmc::capture
