#include "model/mac.h"

#include <gtest/gtest.h>

namespace vmc::model {
namespace {

std::string canonical(std::string_view s) {
  auto m = Mac::parse(s);
  return m ? m->str() : "(none)";
}

TEST(Mac, ParsesEveryFormIntoOne) {
  EXPECT_EQ("00:50:56:a1:b2:c3", canonical("00:50:56:A1:B2:C3"));
  EXPECT_EQ("00:50:56:a1:b2:c3", canonical("00-50-56-a1-b2-c3"));
  EXPECT_EQ("00:50:56:01:02:03", canonical("0:50:56:1:2:3"));
  EXPECT_EQ("00:50:56:a1:b2:c3", canonical(" 00:50:56:a1:b2:c3 "));
}

TEST(Mac, RefusesWhatIsNoMac) {
  for (const char* bad : {"00:50:56:a1:b2", "00:50:56:a1:b2:c3:d4", "00:50-56:a1:b2:c3",
                          "000:50:56:a1:b2:c3", "00:50:56:a1:b2:", "", "testvm1", "0050.56a1.b2c3"})
    EXPECT_FALSE(Mac::parse(bad)) << bad;
}

TEST(Mac, OctetsAndOrder) {
  auto m = Mac::parse("00:50:56:aa:00:ff").value();
  EXPECT_EQ((std::array<uint8_t, 6>{0x00, 0x50, 0x56, 0xaa, 0x00, 0xff}), m.octets());
  EXPECT_EQ((std::array<uint8_t, 6>{}), Mac().octets());
  EXPECT_TRUE(Mac().empty());
  EXPECT_LT(Mac::parse("00:50:56:00:00:01").value(), Mac::parse("00:50:56:00:00:02").value());
  EXPECT_EQ(Mac::parse("00:50:56:AA:00:01"), Mac::parse("00-50-56-aa-00-01"));
}

}  // namespace
}  // namespace vmc::model
