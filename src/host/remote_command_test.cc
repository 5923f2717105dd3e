#include "host/remote_command.h"

#include <gtest/gtest.h>

#include <cstdio>

namespace vmc::host {
namespace {

TEST(PidFramedCommand, ExactText) {
  auto c = pid_framed_command({"pktcap-uw", "--switchport", "33554442", "--dir", "2", "-o", "-"});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(*c, "sh -c 'echo $$; exec pktcap-uw --switchport 33554442 --dir 2 -o -'");
  auto q = pid_framed_command({"pktcap-uw", "--rcf", "tcp port 80 and host 10.0.0.1"});
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(*q, "sh -c 'echo $$; exec pktcap-uw --rcf '\\''tcp port 80 and host 10.0.0.1'\\'''");
  EXPECT_FALSE(pid_framed_command({}).ok());
  EXPECT_EQ(*plain_command({"kill", "123"}), "kill 123");
}

// The framing works with a real POSIX shell: the first line is the PID of the process
// that then runs the command (here: printf, via exec, reporting its own $PPID's child).
TEST(PidFramedCommand, RealShellPrintsPidThenCommandOutput) {
  auto c = pid_framed_command({"sh", "-c", "echo \"$$\"; printf 'a b\\047c'"});
  ASSERT_TRUE(c.ok());
  FILE* p = ::popen(c->c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string out;
  char buf[256];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  ASSERT_EQ(::pclose(p), 0);
  PidLineSplitter s;
  std::string payload;
  ASSERT_TRUE(s.feed(out, [&](std::string_view d) { payload.append(d); }).ok());
  ASSERT_TRUE(s.pid());
  // exec keeps the PID: the inner sh reports the same $$ as the outer echo.
  EXPECT_EQ(payload, std::to_string(*s.pid()) + "\na b'c");
}

TEST(PidLineSplitter, ByteByByte) {
  std::string stream = "48213\n\xd4\xc3\xb2\xa1rest";
  PidLineSplitter s;
  std::string payload;
  for (char c : stream) {
    ASSERT_TRUE(s.feed(std::string_view(&c, 1), [&](std::string_view d) { payload.append(d); }).ok());
  }
  EXPECT_EQ(s.pid(), 48213);
  EXPECT_EQ(payload, "\xd4\xc3\xb2\xa1rest");
}

TEST(PidLineSplitter, Rejects) {
  for (std::string bad : {std::string("abc\n"), std::string("\n"), std::string("0\n"),
                          std::string("\xd4\xc3\xb2\xa1\x02\x00\x04\x00\n"),
                          std::string(25, '1')}) {
    PidLineSplitter s;
    auto st = s.feed(bad, [](std::string_view) { FAIL() << "no payload expected"; });
    ASSERT_FALSE(st.ok()) << bad;
    EXPECT_EQ(st.error().code, "remote.pid");
    EXPECT_FALSE(s.feed("5\n", [](std::string_view) {}).ok());
  }
  PidLineSplitter crlf;
  ASSERT_TRUE(crlf.feed("77\r\nx", [](std::string_view) {}).ok());
  EXPECT_EQ(crlf.pid(), 77);
}

}  // namespace
}  // namespace vmc::host
