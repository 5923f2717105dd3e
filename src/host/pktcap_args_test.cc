#include "host/pktcap_args.h"

#include <gtest/gtest.h>

namespace vmc::host {
namespace {

using V = std::vector<std::string>;

PktcapRequest port(int64_t id) {
  PktcapRequest r;
  r.target = {TargetKind::SwitchPort, id, ""};
  return r;
}

TEST(BuildPktcapArgv, Targets) {
  EXPECT_EQ(*build_pktcap_argv(port(33554442), 2),
            (V{"pktcap-uw", "--switchport", "33554442", "--dir", "2", "-o", "-"}));
  PktcapRequest up;
  up.target = {TargetKind::Uplink, 0, "vmnic1"};
  EXPECT_EQ(*build_pktcap_argv(up, 0), (V{"pktcap-uw", "--uplink", "vmnic1", "--dir", "0", "-o", "-"}));
  PktcapRequest vmk;
  vmk.target = {TargetKind::Vmk, 0, "vmk0"};
  EXPECT_EQ(*build_pktcap_argv(vmk, std::nullopt), (V{"pktcap-uw", "--vmk", "vmk0", "-o", "-"}));
}

TEST(BuildPktcapArgv, EveryOption) {
  PktcapRequest r = port(5);
  r.stage = 1;
  r.snaplen = 128;
  r.count = 1000;
  r.filter.mac = "00:50:56:A1:B2:C3";
  r.filter.srcmac = "00-50-56-a1-b2-c4";
  r.filter.dstip = "10.0.0.1";
  r.filter.ip = "fe80::1";
  r.filter.vlan = 100;
  r.filter.ethtype = 0x0800;
  r.filter.proto = 17;
  r.filter.dstport = 67;
  r.filter.tcpport = 443;
  r.filter.rcf = "udp port 67 or udp port 68";
  r.output = "/vmfs/volumes/ds1/vmc/cap.pcapng";
  r.pcapng = true;
  EXPECT_EQ(*build_pktcap_argv(r, 1),
            (V{"pktcap-uw", "--switchport", "5", "--dir", "1", "--stage", "1", "-s", "128", "-c", "1000",
               "--mac", "00:50:56:a1:b2:c3", "--srcmac", "00:50:56:a1:b2:c4", "--ip", "fe80::1",
               "--dstip", "10.0.0.1", "--vlan", "100", "--ethtype", "0x0800", "--proto", "0x11",
               "--dstport", "67", "--tcpport", "443", "--rcf", "udp port 67 or udp port 68", "-o",
               "/vmfs/volumes/ds1/vmc/cap.pcapng", "--ng"}));
}

TEST(BuildPktcapArgv, CapturePoint) {
  PktcapRequest r = port(5);
  r.capture_point = "VnicRx,VnicTx";
  EXPECT_EQ(*build_pktcap_argv(r, std::nullopt),
            (V{"pktcap-uw", "--switchport", "5", "--capture", "VnicRx,VnicTx", "-o", "-"}));
}

TEST(BuildPktcapArgv, Rejects) {
  struct Case {
    const char* name;
    PktcapRequest req;
    std::optional<int> dir;
    const char* needle;
  };
  std::vector<Case> cases;
  cases.push_back({"port 0", port(0), 2, "--switchport"});
  auto up = port(1);
  up.target = {TargetKind::Uplink, 0, "vmnic0 --dir 2"};
  cases.push_back({"uplink injection", up, 2, "--uplink"});
  auto vmk = port(1);
  vmk.target = {TargetKind::Vmk, 0, "-o/tmp/x"};
  cases.push_back({"vmk injection", vmk, 2, "--vmk"});
  auto cp = port(1);
  cp.capture_point = "VnicRx;reboot";
  cases.push_back({"capture point", cp, std::nullopt, "--capture"});
  auto cps = port(1);
  cps.capture_point = "VnicRx";
  cps.stage = 0;
  cases.push_back({"point and stage", cps, std::nullopt, "not both"});
  auto cpd = port(1);
  cpd.capture_point = "VnicRx";
  cases.push_back({"point and dir", cpd, 2, "fixes the direction"});
  cases.push_back({"dir 3", port(1), 3, "--dir"});
  auto st = port(1);
  st.stage = 2;
  cases.push_back({"stage 2", st, 2, "--stage"});
  auto sl = port(1);
  sl.snaplen = 10;
  cases.push_back({"snaplen", sl, 2, "snaplen 10"});
  auto cnt = port(1);
  cnt.count = 0;
  cases.push_back({"count 0", cnt, 2, "-c"});
  auto mac = port(1);
  mac.filter.dstmac = "nope";
  cases.push_back({"mac", mac, 2, "--dstmac"});
  auto ip = port(1);
  ip.filter.srcip = "1.2.3.4; reboot";
  cases.push_back({"ip", ip, 2, "--srcip"});
  auto vlan = port(1);
  vlan.filter.vlan = 4096;
  cases.push_back({"vlan", vlan, 2, "--vlan"});
  auto proto = port(1);
  proto.filter.proto = 256;
  cases.push_back({"proto", proto, 2, "--proto"});
  auto prt = port(1);
  prt.filter.srcport = 70000;
  cases.push_back({"port", prt, 2, "--srcport"});
  auto rcf = port(1);
  rcf.filter.rcf = "a\nb";
  cases.push_back({"rcf newline", rcf, 2, "--rcf"});
  auto ng = port(1);
  ng.pcapng = true;
  cases.push_back({"ng to stdout", ng, 2, "--ng"});
  auto rel = port(1);
  rel.output = "cap.pcap";
  cases.push_back({"relative output", rel, 2, "absolute path"});
  auto dots = port(1);
  dots.output = "/vmfs/volumes/ds/../../etc/x";
  cases.push_back({"dotdot output", dots, 2, "absolute path"});
  for (const auto& c : cases) {
    auto r = build_pktcap_argv(c.req, c.dir);
    ASSERT_FALSE(r.ok()) << c.name;
    EXPECT_EQ(r.error().code, "pktcap.args") << c.name;
    EXPECT_NE(r.error().message.find(c.needle), std::string::npos) << c.name << ": " << r.error().message;
  }
}

TEST(PlanPktcap, DirBothOnNewHostsTwoProcessesOnOld) {
  auto r = port(33554442);
  auto p8 = plan_pktcap(r, "8.0.3");
  ASSERT_TRUE(p8.ok());
  ASSERT_EQ(p8->size(), 1u);
  EXPECT_EQ((*p8)[0].dir, 2);
  EXPECT_EQ((*p8)[0].argv, (V{"pktcap-uw", "--switchport", "33554442", "--dir", "2", "-o", "-"}));

  auto p65 = plan_pktcap(r, "6.5.0");
  ASSERT_TRUE(p65.ok());
  ASSERT_EQ(p65->size(), 2u);
  EXPECT_EQ((*p65)[0].dir, 0);
  EXPECT_EQ((*p65)[1].dir, 1);
  EXPECT_EQ((*p65)[1].argv, (V{"pktcap-uw", "--switchport", "33554442", "--dir", "1", "-o", "-"}));

  auto unknown = plan_pktcap(r, "");
  ASSERT_TRUE(unknown.ok());
  EXPECT_EQ(unknown->size(), 2u);
}

TEST(PlanPktcap, SingleDirectionFilesAndCapturePoints) {
  auto in = port(7);
  in.direction = model::Direction::In;
  auto p = plan_pktcap(in, "6.0.0");
  ASSERT_TRUE(p.ok());
  ASSERT_EQ(p->size(), 1u);
  EXPECT_EQ((*p)[0].dir, 0);

  auto file = port(7);
  file.output = "/vmfs/volumes/ds1/vmc/cap.pcap";
  auto pf = plan_pktcap(file, "6.5.0");
  ASSERT_TRUE(pf.ok());
  ASSERT_EQ(pf->size(), 2u);
  EXPECT_EQ((*pf)[0].argv.back(), "/vmfs/volumes/ds1/vmc/cap-in.pcap");
  EXPECT_EQ((*pf)[1].argv.back(), "/vmfs/volumes/ds1/vmc/cap-out.pcap");

  auto noext = port(7);
  noext.output = "/vmfs/volumes/ds.1/cap";
  auto pn = plan_pktcap(noext, "6.5.0");
  ASSERT_TRUE(pn.ok());
  EXPECT_EQ((*pn)[0].argv.back(), "/vmfs/volumes/ds.1/cap-in");

  auto cp = port(7);
  cp.capture_point = "VnicTx";
  auto pc = plan_pktcap(cp, "6.5.0");
  ASSERT_TRUE(pc.ok());
  ASSERT_EQ(pc->size(), 1u);
  EXPECT_FALSE((*pc)[0].dir);

  auto bad = port(-1);
  EXPECT_FALSE(plan_pktcap(bad, "8.0.3").ok());
}

}  // namespace
}  // namespace vmc::host
