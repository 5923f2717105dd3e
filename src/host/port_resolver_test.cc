#include "host/port_resolver.h"

#include <gtest/gtest.h>

#include "host/fake_host_connection.h"

namespace vmc::host {
namespace {

const char* kVmListCmd = "esxcli --formatter=csv network vm list";
const char* kVmList =
    "Name,Networks,NumPorts,WorldID,\n"
    "other,VM Network,1,2100001,\n"
    "testvm1,\"VM Network, dv1\",2,2100002,\n";
const char* kPorts1Cmd = "esxcli --formatter=csv network vm port list -w 2100001";
const char* kPorts1 =
    "ActiveFilters,DVPortID,IPAddress,MACAddress,PortID,Portgroup,TeamUplink,UplinkPortID,vSwitch,\n"
    ",,0.0.0.0,00:50:56:00:00:99,33554450,VM Network,vmnic0,33554434,vSwitch0,\n";
const char* kPorts2Cmd = "esxcli --formatter=csv network vm port list -w 2100002";
const char* kPorts2 =
    "ActiveFilters,DVPortID,IPAddress,MACAddress,PortID,Portgroup,TeamUplink,UplinkPortID,vSwitch,\n"
    ",,0.0.0.0,00:50:56:AA:00:01,33554442,VM Network,vmnic0,33554434,vSwitch0,\n"
    ",7,0.0.0.0,00:50:56:aa:00:02,50331660,dv1,vmnic1,50331650,DSwitch,\n";
const char* kNetStats =
    "PortNum          Type SubType SwitchName       MACAddress         ClientName\n"
    "33554442            5       9 vSwitch0         00:50:56:aa:00:01  testvm1.eth0\n"
    "50331660            5       9 DvsPortset-0     00:50:56:aa:00:02  testvm1.eth1\n"
    "33554434            3       0 vSwitch0         00:0c:29:00:00:01  vmk0\n";

ExecResult ok(const char* out) { return ExecResult{0, out, ""}; }

TEST(PortResolver, ApiPortsWinAndNeedNoCommand) {
  FakeHostConnection conn;
  PortResolver r(conn);
  std::vector<model::PortInfo> api{{33554442, "00:50:56:AA:00:01", "virtualMachine", "VM Network"},
                                   {33554436, "00:0c:29:00:00:01", "host", "Management"}};
  auto res = r.resolve({"00:50:56:aa:00:01"}, api);
  ASSERT_TRUE(res.ok());
  ASSERT_EQ(res->ports.size(), 1u);
  EXPECT_EQ(res->ports.at("00:50:56:aa:00:01"), (ResolvedPort{"00:50:56:aa:00:01", 33554442, "api", 0}));
  EXPECT_TRUE(res->missing.empty());
  EXPECT_TRUE(conn.commands_ran.empty());
}

TEST(PortResolver, EsxcliByMacWithHintedWorldFirst) {
  FakeHostConnection conn;
  conn.respond(kVmListCmd, ok(kVmList));
  conn.respond(kPorts1Cmd, ok(kPorts1));
  conn.respond(kPorts2Cmd, ok(kPorts2));
  PortResolver r(conn);
  auto res = r.resolve({"00:50:56:AA:00:02", "00:50:56:aa:00:01"}, {}, "testvm1");
  ASSERT_TRUE(res.ok());
  EXPECT_TRUE(res->missing.empty());
  EXPECT_EQ(res->ports.at("00:50:56:aa:00:01"), (ResolvedPort{"00:50:56:aa:00:01", 33554442, "esxcli", 2100002}));
  EXPECT_EQ(res->ports.at("00:50:56:aa:00:02").port_id, 50331660);
  // The hinted world answered everything: the other world was never asked.
  EXPECT_EQ(conn.commands_ran, (std::vector<std::string>{kVmListCmd, kPorts2Cmd}));
}

TEST(PortResolver, NameIsNeverUsedToMatch) {
  // The VM called "testvm1" on this host has a different MAC: the port of the world
  // whose NIC has our MAC (named "other") is chosen.
  FakeHostConnection conn;
  conn.respond(kVmListCmd, ok(kVmList));
  conn.respond(kPorts1Cmd, ok(kPorts1));
  conn.respond(kPorts2Cmd, ok(kPorts2));
  PortResolver r(conn);
  auto res = r.resolve({"00:50:56:00:00:99"}, {}, "testvm1");
  ASSERT_TRUE(res.ok());
  EXPECT_EQ(res->ports.at("00:50:56:00:00:99").port_id, 33554450);
  EXPECT_EQ(conn.commands_ran.size(), 3u);
}

TEST(PortResolver, FallsBackToNetStatsWhenEsxcliFails) {
  FakeHostConnection conn;
  conn.respond(kVmListCmd, ExecResult{1, "", "Error: Unknown command or namespace network vm list\n"});
  conn.respond("net-stats -l", ok(kNetStats));
  PortResolver r(conn);
  auto res = r.resolve({"00:50:56:aa:00:01"}, {});
  ASSERT_TRUE(res.ok());
  EXPECT_EQ(res->ports.at("00:50:56:aa:00:01"), (ResolvedPort{"00:50:56:aa:00:01", 33554442, "net-stats", 0}));
  ASSERT_EQ(res->warnings.size(), 1u);
  EXPECT_NE(res->warnings[0].find("exited with status 1"), std::string::npos) << res->warnings[0];
}

TEST(PortResolver, FallsBackWhenEsxcliPrintsGarbage) {
  FakeHostConnection conn;
  conn.respond(kVmListCmd, ok("Name,WorldID,\nvm,notanumber,\n"));
  conn.respond("net-stats -l", ok(kNetStats));
  PortResolver r(conn);
  auto res = r.resolve({"00:50:56:aa:00:02"}, {});
  ASSERT_TRUE(res.ok());
  EXPECT_EQ(res->ports.at("00:50:56:aa:00:02").source, "net-stats");
}

TEST(PortResolver, MissingAndAmbiguous) {
  FakeHostConnection conn;
  conn.respond(kVmListCmd, ok("Name,Networks,NumPorts,WorldID,\n"));
  conn.respond("net-stats -l", ok("33554442 5 9 vSwitch0 00:50:56:aa:00:01 a.eth0\n"
                                  "33554443 5 9 vSwitch0 00:50:56:aa:00:01 b.eth0\n"));
  PortResolver r(conn);
  auto res = r.resolve({"00:50:56:aa:00:01", "00:50:56:aa:00:03"}, {});
  ASSERT_TRUE(res.ok());
  EXPECT_TRUE(res->ports.empty());
  EXPECT_EQ(res->missing, (std::vector<std::string>{"00:50:56:aa:00:01", "00:50:56:aa:00:03"}));
  ASSERT_EQ(res->warnings.size(), 1u);
  EXPECT_NE(res->warnings[0].find("several ports (33554442, 33554443)"), std::string::npos);
}

TEST(PortResolver, AmbiguousApiFallsThroughToEsxcli) {
  FakeHostConnection conn;
  conn.respond(kVmListCmd, ok(kVmList));
  conn.respond(kPorts1Cmd, ok(kPorts1));
  conn.respond(kPorts2Cmd, ok(kPorts2));
  PortResolver r(conn);
  std::vector<model::PortInfo> api{{1, "00:50:56:aa:00:01", "virtualMachine", "a"},
                                   {2, "00:50:56:aa:00:01", "virtualMachine", "b"}};
  auto res = r.resolve({"00:50:56:aa:00:01"}, api);
  ASSERT_TRUE(res.ok());
  EXPECT_EQ(res->ports.at("00:50:56:aa:00:01").port_id, 33554442);
  EXPECT_EQ(res->ports.at("00:50:56:aa:00:01").source, "esxcli");
}

TEST(PortResolver, BadMac) {
  FakeHostConnection conn;
  PortResolver r(conn);
  auto res = r.resolve({"testvm1"}, {});
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.error().code, "port.mac");
}

TEST(PortResolver, PortPresent) {
  FakeHostConnection conn;
  conn.respond("net-stats -l", ok(kNetStats));
  PortResolver r(conn);
  EXPECT_TRUE(*r.port_present(33554442, "00:50:56:AA:00:01"));
  EXPECT_FALSE(*r.port_present(33554442, "00:50:56:aa:00:02"));  // port reused by another NIC
  EXPECT_FALSE(*r.port_present(33554499, "00:50:56:aa:00:01"));  // gone
}

TEST(PortResolver, PortPresentFallsBackToEsxcliAndReportsBoth) {
  FakeHostConnection conn;
  conn.respond(kVmListCmd, ok(kVmList));
  conn.respond(kPorts1Cmd, ok(kPorts1));
  conn.respond(kPorts2Cmd, ok(kPorts2));
  PortResolver r(conn);
  auto p = r.port_present(50331660, "00:50:56:aa:00:02");
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_TRUE(*p);

  FakeHostConnection dead;
  PortResolver r2(dead);
  auto e = r2.port_present(1, "00:50:56:aa:00:02");
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.error().message.find("net-stats -l"), std::string::npos);
  EXPECT_NE(e.error().message.find("esxcli"), std::string::npos);
}

}  // namespace
}  // namespace vmc::host
