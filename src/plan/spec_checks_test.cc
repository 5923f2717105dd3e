#include "plan/spec_checks.h"

#include <gtest/gtest.h>

namespace vmc::plan {
namespace {

model::SessionSpec one_vm() {
  model::SessionSpec s;
  s.vms = {{"testvm1", {}}};
  return s;
}

std::vector<std::string> fields(const std::vector<Problem>& ps) {
  std::vector<std::string> out;
  for (const auto& p : ps) out.push_back(p.field);
  return out;
}

TEST(CheckSpec, DefaultsWithOneVmAreFine) { EXPECT_TRUE(check_spec(one_vm(), SpecKind::Plan).empty()); }

TEST(CheckSpec, PlanNeedsTargetsPolicyDoesNot) {
  model::SessionSpec s;
  EXPECT_EQ(std::vector<std::string>{"targets"}, fields(check_spec(s, SpecKind::Plan)));
  EXPECT_TRUE(check_spec(s, SpecKind::Policy).empty());
}

TEST(CheckSpec, OutputConflicts) {
  struct Case {
    const char* name;
    void (*edit)(model::SessionSpec&);
    std::vector<std::string> want;
  } cases[] = {
      {"stdout+on_host", [](model::SessionSpec& s) { s.output.path = "-"; s.output.on_host = true; s.output.datastore = "ds1"; },
       {"output.on_host"}},
      {"stdout+rotation", [](model::SessionSpec& s) { s.output.path = "-"; s.output.rotation.max_bytes = 10; },
       {"output.rotation"}},
      {"ring alone", [](model::SessionSpec& s) { s.output.rotation.ring = 3; }, {"output.rotation.ring"}},
      {"ring with rotation", [](model::SessionSpec& s) { s.output.rotation.ring = 3; s.output.rotation.max_packets = 5; }, {}},
      {"on_host no datastore", [](model::SessionSpec& s) { s.output.on_host = true; }, {"output.on_host"}},
      {"on_host forced tmp", [](model::SessionSpec& s) { s.output.on_host = true; s.output.force_tmp = true; }, {}},
      {"on_host /tmp", [](model::SessionSpec& s) { s.output.on_host = true; s.output.datastore = "/tmp"; },
       {"output.on_host.datastore"}},
      {"on_host /tmp forced", [](model::SessionSpec& s) { s.output.on_host = true; s.output.datastore = "/tmp/x"; s.output.force_tmp = true; }, {}},
      {"on_host /vmfs", [](model::SessionSpec& s) { s.output.on_host = true; s.output.datastore = "/vmfs/volumes/ds1/cap"; }, {}},
      {"on_host /etc", [](model::SessionSpec& s) { s.output.on_host = true; s.output.datastore = "/etc"; },
       {"output.on_host.datastore"}},
      {"on_host name/x", [](model::SessionSpec& s) { s.output.on_host = true; s.output.datastore = "ds1/x"; },
       {"output.on_host.datastore"}},
      {"on_host stop packets", [](model::SessionSpec& s) { s.output.on_host = true; s.output.datastore = "ds1"; s.stop.packets = 10; },
       {"stop.packets"}},
      {"on_host stop bytes", [](model::SessionSpec& s) { s.output.on_host = true; s.output.datastore = "ds1"; s.stop.bytes = 10; },
       {"stop.size"}},
      {"on_host stop duration, boots", [](model::SessionSpec& s) { s.output.on_host = true; s.output.datastore = "ds1"; s.stop.duration = std::chrono::hours(1); s.stop.boots = 2; },
       {}},
      {"stop packets without on_host", [](model::SessionSpec& s) { s.stop.packets = 10; }, {}},
  };
  for (const auto& c : cases) {
    auto s = one_vm();
    c.edit(s);
    EXPECT_EQ(c.want, fields(check_spec(s, SpecKind::Plan))) << c.name;
  }
}

TEST(CheckSpec, FilterConflicts) {
  struct Case {
    const char* name;
    void (*edit)(model::Filter&);
    std::vector<std::string> want;
  } cases[] = {
      {"tcpport+udp", [](model::Filter& f) { f.tcpport = 80; f.proto = 17; }, {"capture.filter.tcpport"}},
      {"tcpport+tcp", [](model::Filter& f) { f.tcpport = 80; f.proto = 6; }, {}},
      {"dstport+icmp", [](model::Filter& f) { f.dstport = 80; f.proto = 1; }, {"capture.filter.dstport"}},
      {"srcport+udp", [](model::Filter& f) { f.srcport = 68; f.proto = 17; }, {}},
      {"rcf+vlan", [](model::Filter& f) { f.rcf = "arp"; f.vlan = 1; }, {"capture.filter.rcf"}},
      {"rcf alone", [](model::Filter& f) { f.rcf = "arp"; }, {}},
      {"arp+ip", [](model::Filter& f) { f.ethtype = 0x0806; f.ip = "10.0.0.1"; }, {"capture.filter.ethtype"}},
      {"ipv4+ip", [](model::Filter& f) { f.ethtype = 0x0800; f.ip = "10.0.0.1"; }, {}},
  };
  for (const auto& c : cases) {
    auto s = one_vm();
    c.edit(s.filter);
    EXPECT_EQ(c.want, fields(check_spec(s, SpecKind::Plan))) << c.name;
  }
}

TEST(CheckSpec, TargetConflicts) {
  model::SessionSpec s;
  s.vms = {{"a", {"n1", "n1"}}, {"b", {}}, {"a", {}}};
  s.uplinks = {{"esx01", {"vmnic0"}, "lag1"}, {"esx01", {}, ""}, {"esx02", {"vmnic0", "vmnic0"}, ""}};
  s.stop.boots = 1;
  EXPECT_EQ((std::vector<std::string>{"targets.vms[0].nics", "targets.vms[2]", "targets.uplinks[0]",
                                      "targets.uplinks[1]", "targets.uplinks[2]"}),
            fields(check_spec(s, SpecKind::Plan)));
}

TEST(CheckSpec, BootsNeedVmsAndStageExcludesPoint) {
  model::SessionSpec s;
  s.uplinks = {{"esx01", {}, "lag1"}};
  s.stop.boots = 2;
  s.capture_point = "VnicRx";
  s.stage = 0;
  auto ps = check_spec(s, SpecKind::Plan);
  EXPECT_EQ((std::vector<std::string>{"stop.boots", "capture.stage"}), fields(ps));
  EXPECT_EQ("targets", ps[0].other);
  EXPECT_EQ("capture.point", ps[1].other);
}

}  // namespace
}  // namespace vmc::plan
