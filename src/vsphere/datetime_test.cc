#include "vsphere/datetime.h"

#include <gtest/gtest.h>

namespace vmc::vsphere {
namespace {

TEST(ParseDatetime, VcenterFormats) {
  auto t = parse_datetime("2023-12-12T10:07:13.322128Z");
  ASSERT_TRUE(t);
  EXPECT_EQ(format_datetime(*t), "2023-12-12T10:07:13.322128Z");
  EXPECT_EQ(format_datetime(*parse_datetime("2023-12-12T10:06:39Z")),
            "2023-12-12T10:06:39.000000Z");
  EXPECT_EQ(format_datetime(*parse_datetime("1970-01-01T00:00:00Z")),
            "1970-01-01T00:00:00.000000Z");
  EXPECT_EQ(parse_datetime("1970-01-01T00:00:00Z")->time_since_epoch().count(), 0);
}

TEST(ParseDatetime, OffsetsAndLongFractions) {
  EXPECT_EQ(format_datetime(*parse_datetime("2024-02-29T23:30:00.5+01:30")),
            "2024-02-29T22:00:00.500000Z");
  EXPECT_EQ(format_datetime(*parse_datetime("2024-01-01T00:00:00-02:00")),
            "2024-01-01T02:00:00.000000Z");
  EXPECT_EQ(format_datetime(*parse_datetime("2024-01-01T00:00:00.123456789Z")),
            "2024-01-01T00:00:00.123456Z");
  EXPECT_EQ(format_datetime(*parse_datetime("2024-01-01T00:00:00")),
            "2024-01-01T00:00:00.000000Z");
}

TEST(ParseDatetime, RejectsMalformedText) {
  for (const char* bad : {"", "2023", "2023-13-01T00:00:00Z", "2023-02-30T00:00:00Z",
                          "2023-01-01 00:00:00Z", "2023-01-01T24:00:00Z", "2023-01-01T00:00:00.Z",
                          "2023-01-01T00:00:00Zjunk", "2023-01-01T00:00:00+1:00",
                          "2023-0a-01T00:00:00Z"}) {
    EXPECT_FALSE(parse_datetime(bad)) << bad;
  }
}

// Found by fuzz_soap_reply: a bootTime in year 6200 overflowed the nanosecond clock
// (undefined behaviour). Years the clock cannot hold are refused; its edges are kept.
TEST(ParseDatetime, YearsBeyondTheClockAreRefused) {
  for (const char* bad : {"6200-01-01T00:00:00Z", "9999-12-31T23:59:59.999999Z",
                          "0000-01-01T00:00:00Z", "1677-12-31T23:59:59Z",
                          "2262-01-01T00:00:00Z"}) {
    EXPECT_FALSE(parse_datetime(bad)) << bad;
  }
  EXPECT_EQ(format_datetime(*parse_datetime("1678-01-01T00:00:00+23:59")),
            "1677-12-31T00:01:00.000000Z");
  EXPECT_EQ(format_datetime(*parse_datetime("2261-12-31T23:59:59.999999-23:59")),
            "2262-01-01T23:58:59.999999Z");
}

}  // namespace
}  // namespace vmc::vsphere
