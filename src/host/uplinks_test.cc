#include "host/uplinks.h"

#include <gtest/gtest.h>

namespace vmc::host {
namespace {

model::HostInfo host(const std::string& version) {
  model::HostInfo h;
  h.name = "esx01";
  h.version = version;
  h.uplinks = {"vmnic0", "vmnic1", "vmnic2"};
  h.lags = {{"lag1", {"vmnic0", "vmnic1"}}, {"empty", {}}};
  return h;
}

TEST(ExpandUplinks, LagAndExplicit) {
  model::UplinkTarget t{"esx01", {"vmnic2", "vmnic0"}, "lag1"};
  EXPECT_EQ(*expand_uplinks(t, host("8.0.3")), (std::vector<std::string>{"vmnic0", "vmnic1", "vmnic2"}));
  EXPECT_EQ(*expand_uplinks({"esx01", {"vmnic1"}, ""}, host("8.0.3")), (std::vector<std::string>{"vmnic1"}));
}

TEST(ExpandUplinks, Errors) {
  auto a = expand_uplinks({"esx01", {}, "lag9"}, host("8.0.3"));
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.error().code, "uplink.lag");
  EXPECT_NE(a.error().message.find("lag1, empty"), std::string::npos);
  EXPECT_EQ(expand_uplinks({"esx01", {}, "empty"}, host("8.0.3")).error().code, "uplink.lag");
  auto b = expand_uplinks({"esx01", {"vmnic7"}, ""}, host("8.0.3"));
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.error().code, "uplink.unknown");
  EXPECT_EQ(expand_uplinks({"esx01", {}, ""}, host("8.0.3")).error().code, "uplink.unknown");
}

TEST(PlanUplinkCapture, TwoMemberLag) {
  PktcapRequest base;
  base.filter.mac = "00:50:56:aa:00:01";
  auto p8 = plan_uplink_capture({"esx01", {}, "lag1"}, host("8.0.3"), base);
  ASSERT_TRUE(p8.ok());
  ASSERT_EQ(p8->size(), 2u);
  EXPECT_EQ((*p8)[0].argv, (std::vector<std::string>{"pktcap-uw", "--uplink", "vmnic0", "--dir", "2", "--mac",
                                                      "00:50:56:aa:00:01", "-o", "-"}));
  EXPECT_EQ((*p8)[1].argv[2], "vmnic1");
  // Before 6.7: every member x both directions = 4 processes.
  auto p65 = plan_uplink_capture({"esx01", {}, "lag1"}, host("6.5.0"), base);
  ASSERT_TRUE(p65.ok());
  ASSERT_EQ(p65->size(), 4u);
  EXPECT_EQ((*p65)[3].argv[2], "vmnic1");
  EXPECT_EQ((*p65)[3].dir, 1);

  PktcapRequest file;
  file.output = "/vmfs/volumes/ds1/vm-capture/up.pcap";
  auto pf = plan_uplink_capture({"esx01", {}, "lag1"}, host("6.5.0"), file);
  ASSERT_TRUE(pf.ok());
  EXPECT_EQ((*pf)[0].argv.back(), "/vmfs/volumes/ds1/vm-capture/up-vmnic0-in.pcap");
  EXPECT_EQ((*pf)[3].argv.back(), "/vmfs/volumes/ds1/vm-capture/up-vmnic1-out.pcap");
}

}  // namespace
}  // namespace vmc::host
