#include "util/shell_quote.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

namespace vmc::util {
namespace {

// Runs `printf '%s\0' WORDS...` through the real /bin/sh and splits what it printed back
// into words: the round trip every quoted word must survive.
std::vector<std::string> sh_roundtrip(const std::string& words) {
  std::string cmd = "printf '%s\\0' " + words;
  FILE* p = ::popen(cmd.c_str(), "r");
  EXPECT_NE(p, nullptr);
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  EXPECT_EQ(::pclose(p), 0);
  std::vector<std::string> parts;
  std::string cur;
  for (char c : out) {
    if (c == '\0') {
      parts.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  return parts;
}

TEST(ShellQuote, KnownForms) {
  struct Case {
    std::string in, out;
  };
  const Case cases[] = {
      {"pktcap-uw", "pktcap-uw"},
      {"--switchport", "--switchport"},
      {"/vmfs/volumes/ds1/cap.pcap", "/vmfs/volumes/ds1/cap.pcap"},
      {"", "''"},
      {"a b", "'a b'"},
      {"it's", "'it'\\''s'"},
      {"'", "''\\'''"},
      {"$HOME", "'$HOME'"},
      {"a;rm -rf /", "'a;rm -rf /'"},
      {"tcp port 80 and host 10.0.0.1", "'tcp port 80 and host 10.0.0.1'"},
      {"*", "'*'"},
      {"~", "'~'"},
      {"-", "-"},
  };
  for (const auto& c : cases) EXPECT_EQ(shell_quote(c.in), c.out) << "input: " << c.in;
}

TEST(ShellQuote, RoundTripsThroughRealShell) {
  std::vector<std::string> inputs = {
      "", " ", "a b", "'", "''", "\"", "\\", "\\'", "$(id)", "`id`", "$$", "!", "a\nb",
      "\t", "#comment", "a|b&c>d<e", "{x,y}", "[a]*?", "~root", "é ü", "--rcf=tcp and port 53",
      "x=y", "-o", ";", "\x01\x7f\xff",
  };
  // Every byte value except NUL, alone and in the middle of a word.
  for (int b = 1; b < 256; ++b) {
    inputs.push_back(std::string(1, static_cast<char>(b)));
    inputs.push_back("a" + std::string(1, static_cast<char>(b)) + "z");
  }
  auto joined = shell_join(inputs);
  ASSERT_TRUE(joined.ok());
  EXPECT_EQ(sh_roundtrip(*joined), inputs);
}

TEST(ShellJoin, RejectsNul) {
  auto r = shell_join({"ok", std::string("a\0b", 3)});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "shell.nul");
  EXPECT_NE(r.error().message.find("argument 1"), std::string::npos);
}

TEST(ShellJoin, JoinsWithSpaces) {
  auto r = shell_join({"kill", "12345"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, "kill 12345");
  EXPECT_EQ(*shell_join({}), "");
}

}  // namespace
}  // namespace vmc::util
