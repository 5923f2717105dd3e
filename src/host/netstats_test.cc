#include "host/netstats.h"

#include <gtest/gtest.h>

namespace vmc::host {
namespace {

TEST(ParseNetStats, RealisticListing) {
  const char* text =
      "PortNum          Type SubType SwitchName       MACAddress         ClientName\r\n"
      "33554433            4       0 vSwitch0         00:0c:29:aa:bb:01  vmnic0\r\n"
      "33554434            3       0 vSwitch0         00:0c:29:AA:BB:02  vmk0\r\n"
      "33554442            5       9 vSwitch0         00:50:56:a1:b2:c3  testvm1.eth0\r\n"
      "33554443            5       9 vSwitch0         00:50:56:a1:b2:c4  my long vm name w.eth1\r\n"
      "50331650            2       0 DvsPortset-0     00:00:00:00:00:00  \r\n"
      "50331651            2       0 DvsPortset-0     lag1\r\n";
  auto r = parse_net_stats_list(text);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->size(), 6u);
  EXPECT_EQ((*r)[0], (NetStatsPort{33554433, 4, 0, "vSwitch0", "00:0c:29:aa:bb:01", "vmnic0"}));
  EXPECT_EQ((*r)[1].mac, "00:0c:29:aa:bb:02");
  EXPECT_EQ((*r)[2], (NetStatsPort{33554442, 5, 9, "vSwitch0", "00:50:56:a1:b2:c3", "testvm1.eth0"}));
  EXPECT_EQ((*r)[3].client_name, "my long vm name w.eth1");
  EXPECT_EQ((*r)[4].client_name, "");
  EXPECT_EQ((*r)[4].mac, "00:00:00:00:00:00");
  EXPECT_EQ((*r)[5], (NetStatsPort{50331651, 2, 0, "DvsPortset-0", "", "lag1"}));
}

TEST(ParseNetStats, EmptyAndHeaderOnly) {
  for (const char* t : {"", "\n", "PortNum Type SubType SwitchName MACAddress ClientName\n"}) {
    auto r = parse_net_stats_list(t);
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(r->empty());
  }
}

TEST(ParseNetStats, Errors) {
  const char* bad[] = {
      "abc 5 9 vSwitch0 00:50:56:a1:b2:c3 x\n",
      "33554442 5\n",
      "33554442 x 9 vSwitch0\n",
      "33554442 5 99999 vSwitch0\n",
      "-1 5 9 vSwitch0\n",
  };
  for (const char* t : bad) {
    auto r = parse_net_stats_list(t);
    ASSERT_FALSE(r.ok()) << t;
    EXPECT_EQ(r.error().code, "netstats.parse");
    EXPECT_NE(r.error().message.find("line 1"), std::string::npos) << r.error().message;
  }
}

}  // namespace
}  // namespace vmc::host
