#include "util/untrusted_text.h"

#include <gtest/gtest.h>

#include "util/utf8.h"

namespace vmc::util {
namespace {

TEST(UntrustedText, PlainTextIsKept) {
  EXPECT_EQ("", untrusted_text(""));
  EXPECT_EQ("Permission to perform this operation was denied.",
            untrusted_text("Permission to perform this operation was denied."));
  EXPECT_EQ("caf\xC3\xA9 \xE2\x82\xAC", untrusted_text("caf\xC3\xA9 \xE2\x82\xAC"));
}

TEST(UntrustedText, ControlCharactersAndBadBytesCannotReachTheTerminal) {
  EXPECT_EQ("line1 line2  tab", untrusted_text("line1\nline2\r\ttab"));
  const std::string esc("\x1b[2J\x1b]0;title\x07\x00 del\x7f", 20);
  EXPECT_EQ("?[2J?]0;title?? del?", untrusted_text(esc));
  EXPECT_EQ("? csi ?", untrusted_text("\xC2\x9B csi \xC2\x85"));        // C1 controls
  EXPECT_EQ("caf? ??", untrusted_text("caf\xE9 \xFF\xFE"));            // not UTF-8
  for (unsigned char c : untrusted_text("\x01\x1b\x7f\xC2\x9b\xFF")) {
    EXPECT_TRUE(c >= 0x20 && c != 0x7f) << static_cast<int>(c);
  }
}

TEST(UntrustedText, LongTextIsCutAtACharacterAndSaysHowLongItWas) {
  const std::string big(5000, 'x');
  const std::string cut = untrusted_text(big);
  std::string want(kMaxUntrustedText, 'x');
  want += "... (5000 bytes)";
  EXPECT_EQ(want, cut);
  // A two-byte character across the cut is left out whole.
  const std::string s = "abc\xC3\xA9z";
  EXPECT_EQ("abc... (6 bytes)", untrusted_text(s, 4));
  EXPECT_EQ("abc\xC3\xA9... (6 bytes)", untrusted_text(s, 5));
  EXPECT_TRUE(is_valid_utf8(untrusted_text(s, 4)));
  EXPECT_EQ(s, untrusted_text(s, 6));
}

}  // namespace
}  // namespace vmc::util
