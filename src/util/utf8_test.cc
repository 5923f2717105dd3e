#include "util/utf8.h"

#include <gtest/gtest.h>

namespace vmc::util {
namespace {

TEST(Utf8, ValidTextIsKeptAsItIs) {
  for (std::string s : {"", "testvm1", "caf\xC3\xA9", "\xE2\x82\xAC 5", "\xF0\x9F\x98\x80"}) {
    EXPECT_TRUE(is_valid_utf8(s)) << s;
    EXPECT_EQ(s, to_valid_utf8(s));
  }
}

TEST(Utf8, EveryKindOfBadByteIsReplaced) {
  struct Case {
    std::string in, out;
  };
  const std::string r = "\xEF\xBF\xBD";
  const Case cases[] = {
      {"a\xFF" "b", "a" + r + "b"},            // never valid
      {"\x80", r},                             // stray continuation byte
      {"caf\xE9", "caf" + r},                  // Latin-1 e acute
      {"\xC0\xAF", r + r},                     // overlong '/'
      {"\xED\xA0\x80", r + r + r},             // surrogate U+D800
      {"\xF4\x90\x80\x80", r + r + r + r},     // beyond U+10FFFF
      {"ok\xE2\x82", "ok" + r + r},            // cut short at the end
  };
  for (const auto& c : cases) {
    EXPECT_FALSE(is_valid_utf8(c.in)) << c.in;
    EXPECT_EQ(c.out, to_valid_utf8(c.in)) << c.in;
    EXPECT_TRUE(is_valid_utf8(to_valid_utf8(c.in)));
  }
}

}  // namespace
}  // namespace vmc::util
