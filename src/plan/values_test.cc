#include "plan/values.h"

#include <gtest/gtest.h>

namespace vmc::plan {
namespace {

using std::chrono::milliseconds;

TEST(ParseDuration, Accepts) {
  struct Case {
    const char* in;
    int64_t ms;
  } cases[] = {
      {"30s", 30'000},     {"5m", 300'000},         {"1h30m", 5'400'000}, {"500ms", 500},
      {"2d", 172'800'000}, {"1h0m5s", 3'605'000},  {"1H", 3'600'000},    {"1m500ms", 60'500},
      {"366d", 366LL * 86'400'000},
  };
  for (const auto& c : cases) {
    auto r = parse_duration(c.in);
    ASSERT_TRUE(r.ok()) << c.in << ": " << r.error().message;
    EXPECT_EQ(milliseconds(c.ms), *r) << c.in;
  }
}

TEST(ParseDuration, RejectsWithTheReason) {
  struct Case {
    const char* in;
    const char* why;
  } cases[] = {
      {"", "empty"},           {"30", "no unit"},           {"5x", "unknown unit 'x'"},
      {"1m1h", "smaller one"}, {"1h1h", "repeats"},         {"0s", "zero"},
      {"-5m", "negative"},     {"1 hour", "not a duration"}, {"367d", "too long"},
      {"99999999999999999999s", "not a duration"},          {"h", "not a duration"},
  };
  for (const auto& c : cases) {
    auto r = parse_duration(c.in);
    ASSERT_FALSE(r.ok()) << c.in;
    EXPECT_EQ("plan.bad-value", r.error().code);
    EXPECT_NE(std::string::npos, r.error().message.find(c.why)) << c.in << ": " << r.error().message;
  }
}

TEST(FormatDuration, RoundTripsThroughParse) {
  for (int64_t ms : {1LL, 999LL, 1000LL, 61'000LL, 5'400'000LL, 90'061'001LL}) {
    std::string text = format_duration(milliseconds(ms));
    auto back = parse_duration(text);
    ASSERT_TRUE(back.ok()) << text;
    EXPECT_EQ(milliseconds(ms), *back) << text;
  }
  EXPECT_EQ("1h30m", format_duration(std::chrono::minutes(90)));
}

TEST(ParseSize, Accepts) {
  struct Case {
    const char* in;
    uint64_t bytes;
  } cases[] = {
      {"500MB", 500'000'000ULL},  {"2GiB", 2ULL << 30},     {"1.5GB", 1'500'000'000ULL},
      {"4096", 4096},             {"10kB", 10'000},         {"10KB", 10'000},
      {"1KiB", 1024},             {"3 MiB", 3ULL << 20},    {"1TiB", 1ULL << 40},
      {"0.5KiB", 512},            {"7b", 7},                {"2tb", 2'000'000'000'000ULL},
  };
  for (const auto& c : cases) {
    auto r = parse_size(c.in);
    ASSERT_TRUE(r.ok()) << c.in << ": " << r.error().message;
    EXPECT_EQ(c.bytes, *r) << c.in;
  }
}

TEST(ParseSize, Rejects) {
  for (const char* in : {"", "MB", "5 parsecs", "0", "0MB", "-1GB", "1.GB", "1.0000000001GB",
                         "99999999999999999999", "20000000TiB", "5MBs"}) {
    EXPECT_FALSE(parse_size(in).ok()) << in;
  }
}

TEST(FormatSize, PicksTheLargestExactUnit) {
  EXPECT_EQ("500MB", format_size(500'000'000));
  EXPECT_EQ("2GiB", format_size(2ULL << 30));
  EXPECT_EQ("1234B", format_size(1234));
  EXPECT_EQ("1536KiB", format_size(1536 * 1024));
  for (uint64_t b : {1ULL, 1000ULL, 1024ULL, 123'456'789ULL, 5ULL << 40}) {
    EXPECT_EQ(b, *parse_size(format_size(b))) << format_size(b);
  }
}

TEST(ParseMac, NormalizesAndRejects) {
  EXPECT_EQ("00:50:56:aa:bb:cc", *parse_mac("00:50:56:AA:bb:cc"));
  EXPECT_EQ("00:50:56:aa:bb:cc", *parse_mac("00-50-56-aa-BB-cc"));
  for (const char* in : {"", "00:50:56:aa:bb", "00:50:56:aa:bb:cc:dd", "00:50-56:aa:bb:cc", "00:50:56:aa:bb:cg",
                         "0050.56aa.bbcc", "00:50:56:aa:bb:c"}) {
    EXPECT_FALSE(parse_mac(in).ok()) << in;
  }
}

TEST(ParseIpv4, AcceptsDottedQuadsAndPrefixesWhereAllowed) {
  EXPECT_EQ("10.0.0.1", *parse_ipv4("10.0.0.1", false));
  EXPECT_EQ("255.255.255.255", *parse_ipv4("255.255.255.255", false));
  EXPECT_EQ("10.0.0.0/24", *parse_ipv4("10.0.0.0/24", true));
  EXPECT_EQ("0.0.0.0/0", *parse_ipv4("0.0.0.0/0", true));
  for (const char* in : {"", "10.0.0", "10.0.0.1.2", "10.0.0.256", "010.0.0.1", "10.0.0.-1", "a.b.c.d", "10..0.1",
                         "10.0.0.1.", "::1"}) {
    EXPECT_FALSE(parse_ipv4(in, true).ok()) << in;
  }
  EXPECT_FALSE(parse_ipv4("10.0.0.0/24", false).ok());
  EXPECT_FALSE(parse_ipv4("10.0.0.0/33", true).ok());
  EXPECT_FALSE(parse_ipv4("10.0.0.0/", true).ok());
}

TEST(ParseNumbers, RangesAreInclusive) {
  EXPECT_EQ(1, *parse_port("1"));
  EXPECT_EQ(65535, *parse_port("65535"));
  EXPECT_FALSE(parse_port("0").ok());
  EXPECT_FALSE(parse_port("65536").ok());
  EXPECT_FALSE(parse_port("80a").ok());
  EXPECT_FALSE(parse_port("").ok());
  EXPECT_EQ(0, *parse_vlan("0"));
  EXPECT_EQ(4095, *parse_vlan("4095"));
  EXPECT_FALSE(parse_vlan("4096").ok());
  EXPECT_FALSE(parse_vlan("-1").ok());
  EXPECT_EQ(1, *parse_boots("1"));
  EXPECT_FALSE(parse_boots("0").ok());
  EXPECT_EQ(20, *parse_ring("20"));
  EXPECT_FALSE(parse_ring("0").ok());
  EXPECT_EQ(-5, *parse_int("-5", -10, 10, "x"));
  EXPECT_EQ(0, *parse_int("-0", 0, 10, "x"));
  EXPECT_FALSE(parse_int("-11", -10, 10, "x").ok());
  EXPECT_FALSE(parse_int("99999999999999999999", 0, 10, "x").ok());
}

TEST(ParseProto, NamesNumbersAndHex) {
  EXPECT_EQ(6, *parse_proto("tcp"));
  EXPECT_EQ(17, *parse_proto("UDP"));
  EXPECT_EQ(1, *parse_proto("icmp"));
  EXPECT_EQ(17, *parse_proto("0x11"));
  EXPECT_EQ(255, *parse_proto("255"));
  EXPECT_EQ(0, *parse_proto("0"));
  for (const char* in : {"256", "sctp", "0x100", "0x", "-1", ""}) EXPECT_FALSE(parse_proto(in).ok()) << in;
}

TEST(ParseEthtype, HexOrNamesOnly) {
  EXPECT_EQ(0x0806, *parse_ethtype("0x0806"));
  EXPECT_EQ(0x0806, *parse_ethtype("arp"));
  EXPECT_EQ(0x86dd, *parse_ethtype("IPv6"));
  EXPECT_EQ(0xffff, *parse_ethtype("0xFFFF"));
  EXPECT_EQ(0x0600, *parse_ethtype("0x600"));
  auto dec = parse_ethtype("2048");
  ASSERT_FALSE(dec.ok());
  EXPECT_NE(std::string::npos, dec.error().message.find("decimal")) << dec.error().message;
  for (const char* in : {"0x05ff", "0x10000", "0xzz", "ip", ""}) EXPECT_FALSE(parse_ethtype(in).ok()) << in;
}

TEST(ParseWords, DirectionBoolDrsStage) {
  EXPECT_EQ(model::Direction::In, *parse_direction("in"));
  EXPECT_EQ(model::Direction::Out, *parse_direction("OUT"));
  EXPECT_EQ(model::Direction::Both, *parse_direction("both"));
  auto d = parse_direction("bth");
  ASSERT_FALSE(d.ok());
  EXPECT_NE(std::string::npos, d.error().message.find("did you mean 'both'")) << d.error().message;
  EXPECT_TRUE(*parse_bool("on"));
  EXPECT_TRUE(*parse_bool("Yes"));
  EXPECT_FALSE(*parse_bool("off"));
  EXPECT_FALSE(*parse_bool("false"));
  EXPECT_FALSE(parse_bool("1").ok());
  auto m = parse_drs("MANUAL");
  ASSERT_TRUE(m.ok());
  EXPECT_TRUE(m->enabled);
  EXPECT_EQ("manual", m->behavior);
  EXPECT_EQ("fullyAutomated", parse_drs("fullyautomated")->behavior);
  EXPECT_FALSE(parse_drs("none")->enabled);
  EXPECT_FALSE(parse_drs("automatic").ok());
  EXPECT_EQ(0, *parse_stage("pre"));
  EXPECT_EQ(1, *parse_stage("1"));
  EXPECT_FALSE(parse_stage("2").ok());
}

TEST(ParseMisc, SnaplenCapturePointRcfUplink) {
  EXPECT_EQ(0, *parse_snaplen("0"));
  EXPECT_EQ(24, *parse_snaplen("24"));
  EXPECT_FALSE(parse_snaplen("23").ok());
  EXPECT_FALSE(parse_snaplen("65536").ok());
  EXPECT_EQ("VnicRx", *parse_capture_point("VnicRx"));
  EXPECT_FALSE(parse_capture_point("Vnic Rx").ok());
  EXPECT_FALSE(parse_capture_point("PortInput;reboot").ok());
  EXPECT_EQ("udp port 67", *parse_rcf("udp port 67"));
  EXPECT_FALSE(parse_rcf("   ").ok());
  EXPECT_FALSE(parse_rcf("udp\nport 67").ok());
  EXPECT_FALSE(parse_rcf(std::string(1025, 'a')).ok());
  EXPECT_EQ("vmnic0", *parse_uplink_name("vmnic0"));
  EXPECT_EQ("vusb1", *parse_uplink_name("vusb1"));
  for (const char* in : {"eth0", "vmnic", "vmnic0a", "vmk0", ""}) EXPECT_FALSE(parse_uplink_name(in).ok()) << in;
}

TEST(Messages, QuoteTheInputSafely) {
  auto r = parse_port(std::string("8\x01") + "0");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(std::string::npos, r.error().message.find("'8\\x010'")) << r.error().message;
  auto long_input = parse_mac(std::string(500, 'a'));
  ASSERT_FALSE(long_input.ok());
  EXPECT_LT(long_input.error().message.size(), 200u);
}

}  // namespace
}  // namespace vmc::plan
