#include "host/text.h"

#include <gtest/gtest.h>

namespace vmc::host {
namespace {

TEST(Text, SplitLines) {
  EXPECT_EQ(split_lines("a\r\nb\n\nc"), (std::vector<std::string_view>{"a", "b", "", "c"}));
  EXPECT_EQ(split_lines("a\n"), (std::vector<std::string_view>{"a"}));
  EXPECT_TRUE(split_lines("").empty());
}

TEST(Text, ParseInt) {
  EXPECT_EQ(parse_int("33554442"), 33554442);
  EXPECT_EQ(parse_int("-7"), -7);
  EXPECT_EQ(parse_int("9223372036854775807"), INT64_MAX);
  EXPECT_EQ(parse_int("-9223372036854775808"), INT64_MIN);
  EXPECT_FALSE(parse_int("9223372036854775808"));
  EXPECT_FALSE(parse_int(""));
  EXPECT_FALSE(parse_int("-"));
  EXPECT_FALSE(parse_int("12a"));
  EXPECT_FALSE(parse_int(" 12"));
}

TEST(Text, ParseHex) {
  EXPECT_EQ(parse_hex("0x0400002e"), 0x0400002e);
  EXPECT_EQ(parse_hex("0X0400002E"), 0x0400002e);
  EXPECT_FALSE(parse_hex("0x"));
  EXPECT_FALSE(parse_hex("400002e"));
  EXPECT_FALSE(parse_hex("0x12g"));
  EXPECT_FALSE(parse_hex("0x1234567890123456"));
}

TEST(Text, FieldKeyAndExcerpt) {
  EXPECT_EQ(field_key("MAC Address"), "macaddress");
  EXPECT_EQ(field_key("MACAddress"), "macaddress");
  EXPECT_EQ(field_key("Uplink_Port-ID"), "uplinkportid");
  EXPECT_EQ(excerpt("a\x01z"), "\"a?z\"");
  EXPECT_EQ(excerpt(std::string(100, 'x')), "\"" + std::string(80, 'x') + "...\"");
}

}  // namespace
}  // namespace vmc::host
