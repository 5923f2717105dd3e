#include "orchestrator/reconcile.h"

#include <gtest/gtest.h>

namespace vmc::orchestrator {
namespace {

using model::Direction;
using model::MoRef;

model::HostInfo host(const std::string& id, const std::string& name, const std::string& version) {
  model::HostInfo h;
  h.ref = MoRef{"HostSystem", id};
  h.name = name;
  h.version = version;
  h.uplinks = {"vmnic0", "vmnic1"};
  h.lags = {model::LagInfo{"lag1", {"vmnic2", "vmnic3"}}};
  return h;
}

model::VmInfo vm1(const std::string& host_id) {
  model::VmInfo v;
  v.ref = MoRef{"VirtualMachine", "vm-1"};
  v.name = "testvm1";
  v.path = "/dc1/vm/testvm1";
  v.host = MoRef{"HostSystem", host_id};
  v.cluster = MoRef{"ClusterComputeResource", "c1"};
  v.power = model::PowerState::On;
  v.nics = {model::NicInfo{4000, "Network adapter 1", "00:50:56:00:00:01", "VM Network", "", "", true}};
  return v;
}

model::SessionSpec spec_for(const std::string& vm) {
  model::SessionSpec s;
  s.vms = {model::VmTarget{vm, {}}};
  return s;
}

model::Mac mac(const std::string& text) { return model::Mac::parse(text).value(); }

HostMac on(const std::string& host_id, const std::string& mac_text) {
  return HostMac{MoRef{"HostSystem", host_id}, mac(mac_text)};
}

Observation world(const std::string& vm_host, std::optional<int64_t> port) {
  Observation o;
  o.hosts = {host("host-1", "esx01", "8.0.3"), host("host-3", "esx03", "6.5.0")};
  o.vms = {vm1(vm_host)};
  if (port) o.ports[on(vm_host, "00:50:56:00:00:01")] = NicPort{NicPort::State::Known, *port};
  return o;
}

std::vector<std::string> strs(const std::vector<Action>& actions) {
  std::vector<std::string> out;
  for (const auto& a : actions) out.push_back(a.to_string());
  return out;
}

Running running_of(const std::vector<Action>& actions) {
  Running r;
  for (const auto& a : actions) {
    if (a.kind == ActionKind::StartPin || a.kind == ActionKind::StartBridge) r.pins.push_back(a.pin);
    if (a.kind == ActionKind::SetOverride) r.overrides.push_back({a.cluster, a.vm, a.vm_name});
  }
  return r;
}

TEST(Reconcile, DirBothIsOnePinOnEightZero) {
  auto actions = reconcile(spec_for("testvm1"), world("host-1", 100), Running{});
  EXPECT_EQ(std::vector<std::string>({"set-override c1 vm-1", "start esx01 port 100 both"}),
            strs(actions));
}

TEST(Reconcile, DirBothIsTwoPinsOnSixFive) {
  auto actions = reconcile(spec_for("testvm1"), world("host-3", 7), Running{});
  EXPECT_EQ(std::vector<std::string>(
                {"set-override c1 vm-1", "start esx03 port 7 in", "start esx03 port 7 out"}),
            strs(actions));
}

TEST(Reconcile, OneDirectionIsOnePinEverywhere) {
  auto spec = spec_for("vm-1");  // by moref value
  spec.direction = Direction::Out;
  spec.drs.enabled = false;
  EXPECT_EQ(std::vector<std::string>({"start esx03 port 7 out"}),
            strs(reconcile(spec, world("host-3", 7), Running{})));
}

TEST(Reconcile, SteadyStateHasNothingToDo) {
  auto spec = spec_for("testvm1");
  auto obs = world("host-1", 100);
  Running r = running_of(reconcile(spec, obs, Running{}));
  EXPECT_TRUE(reconcile(spec, obs, r).empty());
}

TEST(Reconcile, NewPortStartsBeforeOldStops) {
  auto spec = spec_for("testvm1");
  auto first = reconcile(spec, world("host-1", 100), Running{});
  ASSERT_EQ(2u, first.size());  // the DRS override, then the first pin
  EXPECT_EQ("capture testvm1 00:50:56:00:00:01", first[1].reason);
  EXPECT_TRUE(first[1].repin_from.empty());
  Running r = running_of(first);
  auto actions = reconcile(spec, world("host-1", 101), r);
  ASSERT_EQ(2u, actions.size());
  EXPECT_EQ("start esx01 port 101 both", actions[0].to_string());
  EXPECT_EQ("re-pin testvm1 00:50:56:00:00:01 from esx01 port 100 both", actions[0].reason);
  EXPECT_EQ(std::vector<std::string>{"esx01 port 100 both"}, actions[0].repin_from);
  EXPECT_EQ("stop esx01 port 100 both", actions[1].to_string());
  EXPECT_EQ("port of testvm1 00:50:56:00:00:01 changed from 100 to 101", actions[1].reason);
}

TEST(Reconcile, MoveToOldHostSplitsDirections) {
  auto spec = spec_for("testvm1");
  Running r = running_of(reconcile(spec, world("host-1", 100), Running{}));
  auto actions = reconcile(spec, world("host-3", 9), r);
  ASSERT_EQ(std::vector<std::string>(
                {"start esx03 port 9 in", "start esx03 port 9 out", "stop esx01 port 100 both"}),
            strs(actions));
  EXPECT_EQ("testvm1 moved to esx03", actions[2].reason);
}

TEST(Reconcile, UnknownPortIsBridgedOnEveryUplinkThenBridgeStopsOnceThePortPinRuns) {
  auto spec = spec_for("testvm1");
  Running r = running_of(reconcile(spec, world("host-1", 100), Running{}));
  auto obs = world("host-1", std::nullopt);  // reset: the old port is gone, new one unknown
  auto a1 = reconcile(spec, obs, r);
  ASSERT_EQ(std::vector<std::string>({"start-bridge esx01 vmnic0 mac 00:50:56:00:00:01 both",
                                      "start-bridge esx01 vmnic1 mac 00:50:56:00:00:01 both",
                                      "stop esx01 port 100 both"}),
            strs(a1));
  r.pins = {a1[0].pin, a1[1].pin};
  // The new port is known: the port pin starts, the bridges stay until it runs.
  auto a2 = reconcile(spec, world("host-1", 101), r);
  ASSERT_EQ(std::vector<std::string>({"start esx01 port 101 both"}), strs(a2));
  r.pins.push_back(a2[0].pin);
  auto a3 = reconcile(spec, world("host-1", 101), r);
  EXPECT_EQ(std::vector<std::string>({"stop-bridge esx01 vmnic0 mac 00:50:56:00:00:01 both",
                                      "stop-bridge esx01 vmnic1 mac 00:50:56:00:00:01 both"}),
            strs(a3));
}

TEST(Reconcile, BridgePolicyOffLeavesTheGapOpen) {
  auto spec = spec_for("testvm1");
  spec.bridge.enabled = false;
  spec.drs.enabled = false;
  EXPECT_TRUE(reconcile(spec, world("host-1", std::nullopt), Running{}).empty());
}

TEST(Reconcile, KnownPortDoesNotStartABridge) {
  auto spec = spec_for("testvm1");
  spec.drs.enabled = false;
  EXPECT_EQ(std::vector<std::string>({"start esx01 port 100 both"}),
            strs(reconcile(spec, world("host-1", 100), Running{})));
}

TEST(Reconcile, UnresolvedPortKeepsWhatRuns) {
  auto spec = spec_for("testvm1");
  Running r = running_of(reconcile(spec, world("host-1", 100), Running{}));
  auto obs = world("host-1", std::nullopt);
  obs.ports[on("host-1", "00:50:56:00:00:01")] = NicPort{NicPort::State::Unresolved, 0};
  EXPECT_TRUE(reconcile(spec, obs, r).empty());
}

TEST(Reconcile, PowerOffStopsPinsButKeepsTheOverride) {
  auto spec = spec_for("testvm1");
  Running r = running_of(reconcile(spec, world("host-1", 100), Running{}));
  auto obs = world("host-1", std::nullopt);
  obs.vms[0].power = model::PowerState::Off;
  auto actions = reconcile(spec, obs, r);
  ASSERT_EQ(std::vector<std::string>({"stop esx01 port 100 both"}), strs(actions));
  EXPECT_EQ("testvm1 is poweredOff", actions[0].reason);
}

TEST(Reconcile, NicAddedAndRemovedPinsFollow) {
  auto spec = spec_for("testvm1");
  spec.drs.enabled = false;
  auto obs = world("host-1", 100);
  Running r = running_of(reconcile(spec, obs, Running{}));
  obs.vms[0].nics.push_back(model::NicInfo{4001, "Network adapter 2", "00:50:56:00:00:02", "VM Network", "", "", true});
  obs.ports[on("host-1", "00:50:56:00:00:02")] = NicPort{NicPort::State::Known, 105};
  auto added = reconcile(spec, obs, r);
  ASSERT_EQ(std::vector<std::string>({"start esx01 port 105 both"}), strs(added));
  r.pins.push_back(added[0].pin);
  obs.vms[0].nics.erase(obs.vms[0].nics.begin());
  auto removed = reconcile(spec, obs, r);
  ASSERT_EQ(std::vector<std::string>({"stop esx01 port 100 both"}), strs(removed));
  EXPECT_EQ("NIC 00:50:56:00:00:01 of testvm1 removed", removed[0].reason);
}

TEST(Reconcile, DisconnectedNicIsNotCaptured) {
  auto spec = spec_for("testvm1");
  spec.drs.enabled = false;
  auto obs = world("host-1", 100);
  Running r = running_of(reconcile(spec, obs, Running{}));
  obs.vms[0].nics[0].connected = false;
  auto actions = reconcile(spec, obs, r);
  ASSERT_EQ(std::vector<std::string>({"stop esx01 port 100 both"}), strs(actions));
  EXPECT_EQ("NIC 00:50:56:00:00:01 of testvm1 disconnected", actions[0].reason);
  EXPECT_TRUE(reconcile(spec, obs, Running{}).empty());
}

TEST(Reconcile, NicSelectionByLabelOrMac) {
  auto obs = world("host-1", 100);
  obs.vms[0].nics.push_back(model::NicInfo{4001, "Network adapter 2", "00:50:56:00:00:02", "n", "", "", true});
  obs.ports[on("host-1", "00:50:56:00:00:02")] = NicPort{NicPort::State::Known, 105};
  model::VmTarget t{"testvm1", {"Network adapter 2"}};
  ASSERT_EQ(1u, selected_nics(t, obs.vms[0]).size());
  ASSERT_EQ(1u, selected_nics(model::VmTarget{"testvm1", {"00:50:56:00:00:01"}}, obs.vms[0]).size());
  EXPECT_EQ("00:50:56:00:00:02", selected_nics(t, obs.vms[0])[0].mac);
  model::VmTarget by_mac{"testvm1", {"00:50:56:00:00:01"}};
  EXPECT_EQ("Network adapter 1", selected_nics(by_mac, obs.vms[0])[0].label);
}

TEST(Reconcile, TargetByMacPathOrName) {
  auto v = vm1("host-1");
  EXPECT_TRUE(target_matches({"00:50:56:00:00:01", {}}, v));
  EXPECT_TRUE(target_matches({"/dc1/vm/testvm1", {}}, v));
  EXPECT_TRUE(target_matches({"testvm1", {}}, v));
  EXPECT_FALSE(target_matches({"testvm2", {}}, v));
  EXPECT_FALSE(target_matches({"", {}}, v));
}

TEST(Reconcile, MissingTargetIsAComment) {
  auto actions = reconcile(spec_for("nosuchvm"), world("host-1", 100), Running{});
  EXPECT_EQ(std::vector<std::string>({"comment no watched VM matches 'nosuchvm'"}), strs(actions));
}

TEST(Reconcile, LagMembersGetPinsPerUplinkAndDirection) {
  model::SessionSpec spec;
  spec.uplinks = {model::UplinkTarget{"esx03", {}, "lag1"}};
  EXPECT_EQ(std::vector<std::string>({"start esx03 vmnic2 in", "start esx03 vmnic2 out",
                                      "start esx03 vmnic3 in", "start esx03 vmnic3 out"}),
            strs(reconcile(spec, world("host-1", 100), Running{})));
  spec.uplinks = {model::UplinkTarget{"esx01", {"vmnic0"}, ""}};
  EXPECT_EQ(std::vector<std::string>({"start esx01 vmnic0 both"}),
            strs(reconcile(spec, world("host-1", 100), Running{})));
  spec.uplinks = {model::UplinkTarget{"esx01", {}, "lag9"}};
  EXPECT_EQ(std::vector<std::string>({"comment uplink target: host esx01 has no LAG or team 'lag9'"}),
            strs(reconcile(spec, world("host-1", 100), Running{})));
}

TEST(Reconcile, OverrideMovesWithTheClusterAndPolicyOff) {
  auto spec = spec_for("testvm1");
  auto obs = world("host-1", 100);
  Running r = running_of(reconcile(spec, obs, Running{}));
  obs.vms[0].cluster = MoRef{"ClusterComputeResource", "c2"};
  EXPECT_EQ(std::vector<std::string>({"set-override c2 vm-1", "restore-override c1 vm-1"}),
            strs(reconcile(spec, obs, r)));
}

TEST(Reconcile, TeardownStopsEverythingAndRestores) {
  auto spec = spec_for("testvm1");
  Running r = running_of(reconcile(spec, world("host-3", 7), Running{}));
  EXPECT_EQ(std::vector<std::string>({"stop esx03 port 7 in", "stop esx03 port 7 out",
                                      "restore-override c1 vm-1"}),
            strs(teardown(r, "session end")));
}

TEST(Pin, KeyIgnoresDisplayNames) {
  Pin a;
  a.host = MoRef{"HostSystem", "host-1"};
  a.host_name = "esx01";
  a.port_id = 5;
  a.vm = MoRef{"VirtualMachine", "vm-1"};
  a.mac = mac("00:50:56:00:00:01");
  Pin b = a;
  b.host_name = "renamed";
  b.vm_name = "x";
  EXPECT_EQ(a.key(), b.key());
  b.dir = Direction::In;
  EXPECT_NE(a.key(), b.key());
  EXPECT_EQ("esx01 port 5 both", a.name());
}

}  // namespace
}  // namespace vmc::orchestrator
