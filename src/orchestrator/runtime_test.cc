#include "orchestrator/runtime.h"

#include <gtest/gtest.h>

#include "orchestrator/fakes_test_support.h"

namespace vmc::orchestrator {
namespace {

using namespace std::chrono_literals;
using fakes::FakeClock;
using fakes::FakeHosts;
using fakes::FakeJournal;
using fakes::FakeSink;
using fakes::FakeVCenter;
using fakes::FakeWorld;
using model::MoRef;
using model::VmEventKind;
using Strings = std::vector<std::string>;

const std::string kMac = "00:50:56:00:00:01";
const std::string kMac2 = "00:50:56:00:00:02";

model::HostInfo host(const std::string& id, const std::string& name, const std::string& version) {
  model::HostInfo h;
  h.ref = MoRef{"HostSystem", id};
  h.name = name;
  h.version = version;
  h.mgmt_address = "10.0.0." + id.substr(5);
  h.cluster = MoRef{"ClusterComputeResource", "c1"};
  h.uplinks = {"vmnic0"};
  return h;
}

model::VmEvent event(VmEventKind k, const std::string& source) {
  model::VmEvent e;
  e.kind = k;
  e.vm = MoRef{"VirtualMachine", "vm-1"};
  e.vm_name = "testvm1";
  e.source = source;
  return e;
}

class RuntimeTest : public ::testing::Test {
 protected:
  RuntimeTest() {
    world.hosts = {host("host-1", "esx01", "8.0.3"), host("host-2", "esx02", "8.0.3"),
                   host("host-3", "esx03", "6.5.0")};
    model::VmInfo vm;
    vm.ref = MoRef{"VirtualMachine", "vm-1"};
    vm.name = "testvm1";
    vm.host = MoRef{"HostSystem", "host-1"};
    vm.cluster = MoRef{"ClusterComputeResource", "c1"};
    vm.power = model::PowerState::On;
    vm.nics = {model::NicInfo{4000, "Network adapter 1", kMac, "VM Network", "", "", true}};
    world.vms = {vm};
    world.ssh_ports[{"host-1", kMac}] = 100;
    spec.name = "vm testvm1";
    spec.vms = {model::VmTarget{"testvm1", {}}};
    spec.stop.duration = 60s;
    options.session_id = "s1";
    options.pid = 4242;
  }

  Result<SessionSummary> run() {
    Runtime rt(spec, vcenter, hosts, clock, sink, journal, options);
    return rt.run();
  }

  // Moves the VM's NIC to a new port on `host_id` (what a reset or vMotion does).
  static std::function<void(FakeWorld&)> port(const std::string& host_id, std::optional<int64_t> id,
                                              const std::string& mac = kMac) {
    return [=](FakeWorld& w) {
      for (auto it = w.ssh_ports.begin(); it != w.ssh_ports.end();)
        it = it->first.second == mac ? w.ssh_ports.erase(it) : std::next(it);
      if (id) w.ssh_ports[{host_id, mac}] = *id;
    };
  }

  FakeWorld world;
  fakes::Log log;
  FakeClock clock;
  FakeVCenter vcenter{world, clock, log};
  FakeHosts hosts{world, log};
  FakeSink sink;
  FakeJournal journal;
  model::SessionSpec spec;
  RuntimeOptions options;
};

TEST_F(RuntimeTest, ResetStartsTheNewPortBeforeStoppingTheOld) {
  vcenter.at(5s, port("host-1", 101), event(VmEventKind::Reset, "event:VmResettingEvent"));
  auto r = run();
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(Strings({"drs set c1 vm-1 manual",
                     "esx01 start esx01 port 100 both pid 1001",
                     "esx01 start esx01 port 101 both pid 1002",
                     "esx01 stop pid 1001",
                     "esx01 stop pid 1002",
                     "drs remove c1 vm-1"}),
            log);
  EXPECT_EQ(EndReason::Duration, r->end_reason);
  ASSERT_EQ(1u, r->repins.size());
  EXPECT_EQ(Strings({"esx01 port 100 both"}), r->repins[0].from);
  EXPECT_EQ("esx01 port 101 both", r->repins[0].to);
  EXPECT_EQ("VmReset (event:VmResettingEvent)", r->repins[0].trigger);
  EXPECT_TRUE(sink.has_line("open esx01 port 101 both: re-pin testvm1 " + kMac +
                            " from esx01 port 100 both after VmReset (event:VmResettingEvent)"));
  EXPECT_TRUE(r->gaps.empty());
  EXPECT_EQ(1, r->boots);
}

TEST_F(RuntimeTest, GuestRebootDoesNothing) {
  vcenter.at(5s, nullptr, event(VmEventKind::GuestRebooted, "event:VmGuestRebootEvent"));
  auto r = run();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(Strings({"drs set c1 vm-1 manual", "esx01 start esx01 port 100 both pid 1001",
                     "esx01 stop pid 1001", "drs remove c1 vm-1"}),
            log);
  EXPECT_EQ(0, r->boots);
  EXPECT_EQ(1u, r->events.size());
}

TEST_F(RuntimeTest, PowerOffStopsAndRecordsAGapPowerOnPinsAgain) {
  spec.bridge.enabled = false;
  vcenter.at(5s, [](FakeWorld& w) { w.vm("vm-1").power = model::PowerState::Off; port("", {})(w); },
             event(VmEventKind::PoweredOff, "event:VmPoweredOffEvent"));
  vcenter.at(8s, [](FakeWorld& w) { w.vm("vm-1").power = model::PowerState::On; port("host-1", 105)(w); },
             event(VmEventKind::PoweredOn, "event:VmPoweredOnEvent"));
  auto r = run();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(Strings({"drs set c1 vm-1 manual", "esx01 start esx01 port 100 both pid 1001",
                     "esx01 stop pid 1001", "esx01 start esx01 port 105 both pid 1002",
                     "esx01 stop pid 1002", "drs remove c1 vm-1"}),
            log);
  ASSERT_EQ(1u, r->gaps.size());
  EXPECT_EQ("testvm1 is poweredOff after VmPoweredOff (event:VmPoweredOffEvent)", r->gaps[0].reason);
  EXPECT_EQ(3000ms, *r->gaps[0].to - r->gaps[0].from);
  EXPECT_TRUE(sink.has_line("comment gap ends: testvm1 " + kMac + " captured again after 3000 ms"));
  ASSERT_EQ(1u, r->repins.size());  // power cycle counts as a re-pin of the NIC
  EXPECT_EQ("VmPoweredOn (event:VmPoweredOnEvent)", r->repins[0].trigger);
  EXPECT_TRUE(sink.has_line("open esx01 port 105 both: re-pin testvm1 " + kMac +
                            " from esx01 port 100 both after VmPoweredOn (event:VmPoweredOnEvent)"));
}

TEST_F(RuntimeTest, MigrationPinsOnTheNewHostThenStopsTheOld) {
  auto moved = event(VmEventKind::Moved, "event:DrsVmMigratedEvent");
  moved.from_host = MoRef{"HostSystem", "host-1"};
  moved.to_host = MoRef{"HostSystem", "host-3"};
  vcenter.at(5s, [](FakeWorld& w) { w.vm("vm-1").host = MoRef{"HostSystem", "host-3"}; port("host-3", 7)(w); },
             moved);
  auto r = run();
  ASSERT_TRUE(r.ok());
  // esx03 runs 6.5: both directions need one process each.
  EXPECT_EQ(Strings({"drs set c1 vm-1 manual", "esx01 start esx01 port 100 both pid 1001",
                     "esx03 start esx03 port 7 in pid 1002", "esx03 start esx03 port 7 out pid 1003",
                     "esx01 stop pid 1001", "esx03 stop pid 1002", "esx03 stop pid 1003",
                     "drs remove c1 vm-1"}),
            log);
  ASSERT_EQ(1u, r->repins.size());
  EXPECT_EQ("esx03 port 7 in", r->repins[0].to);
  EXPECT_TRUE(sink.has_line("close esx01 port 100 both: testvm1 moved to esx03"));
}

TEST_F(RuntimeTest, HostsAVmMayMoveToAreConnectedAhead) {
  // Every host vCenter lists for the VMs (their clusters' hosts) is prepared before a
  // move needs it; the capture itself connects only where the VM is.
  auto r = run();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(std::set<std::string>({"esx01", "esx02", "esx03"}), hosts.prepared);
  EXPECT_EQ(Strings({"drs set c1 vm-1 manual", "esx01 start esx01 port 100 both pid 1001",
                     "esx01 stop pid 1001", "drs remove c1 vm-1"}),
            log);
}

TEST_F(RuntimeTest, DirBothIsOneProcessOnEightAndTwoOnSixFive) {
  spec.drs.enabled = false;
  spec.stop.duration = 1s;
  auto r = run();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(Strings({"esx01 start esx01 port 100 both pid 1001", "esx01 stop pid 1001"}), log);
  log.clear();
  world.vm("vm-1").host = MoRef{"HostSystem", "host-3"};
  world.ssh_ports = {{{"host-3", kMac}, 9}};
  FakeSink sink2;
  FakeJournal journal2;
  Runtime rt(spec, vcenter, hosts, clock, sink2, journal2, options);
  ASSERT_TRUE(rt.run().ok());
  EXPECT_EQ(Strings({"esx03 start esx03 port 9 in pid 1002", "esx03 start esx03 port 9 out pid 1003",
                     "esx03 stop pid 1002", "esx03 stop pid 1003"}),
            log);
}

TEST_F(RuntimeTest, NicAddedGetsItsOwnPin) {
  spec.drs.enabled = false;
  vcenter.at(5s, [](FakeWorld& w) {
    w.vm("vm-1").nics.push_back(model::NicInfo{4001, "Network adapter 2", kMac2, "VM Network", "", "", true});
    w.ssh_ports[{"host-1", kMac2}] = 120;
  }, event(VmEventKind::NicsChanged, "property:config.hardware.device"));
  auto r = run();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(Strings({"esx01 start esx01 port 100 both pid 1001", "esx01 start esx01 port 120 both pid 1002",
                     "esx01 stop pid 1001", "esx01 stop pid 1002"}),
            log);
  EXPECT_TRUE(r->repins.empty());  // a new NIC is not a re-pin
}

TEST_F(RuntimeTest, BridgeCoversTheUnknownPortAndStopsOnceThePortPinRuns) {
  spec.drs.enabled = false;
  vcenter.at(5s, port("host-1", std::nullopt), event(VmEventKind::Reset, "event:VmResettingEvent"));
  vcenter.at(5700ms, port("host-1", 101));  // the new port appears, unannounced
  auto r = run();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(Strings({"esx01 start esx01 port 100 both pid 1001",
                     "esx01 start esx01 vmnic0 mac " + kMac + " both pid 1002",
                     "esx01 stop pid 1001",
                     "esx01 start esx01 port 101 both pid 1003",
                     "esx01 stop pid 1002",
                     "esx01 stop pid 1003"}),
            log);
  // The bridge filters on the VM's MAC; the port captures do not.
  auto& reqs = hosts.host("esx01", "host-1").requests;
  ASSERT_EQ(3u, reqs.size());
  EXPECT_FALSE(reqs[0].filter.mac);
  EXPECT_EQ(kMac, reqs[1].filter.mac.value_or(""));
  EXPECT_TRUE(r->gaps.empty());  // the bridge left no gap
  ASSERT_EQ(1u, r->repins.size());
  // Reset at 5 s; the port seen at the 6 s pass, its capture runs then.
  EXPECT_EQ(1000ms, r->repins[0].since_event.value());
  EXPECT_EQ(0ms, r->repins[0].since_port_seen);
  EXPECT_EQ(1000ms, r->median_repin_latency().value());
}

TEST_F(RuntimeTest, WithoutBridgeTheUnknownPortIsAGap) {
  spec.drs.enabled = false;
  spec.bridge.enabled = false;
  vcenter.at(5s, port("host-1", std::nullopt), event(VmEventKind::Reset, "event:VmResettingEvent"));
  vcenter.at(5700ms, port("host-1", 101));
  auto r = run();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(Strings({"esx01 start esx01 port 100 both pid 1001", "esx01 stop pid 1001",
                     "esx01 start esx01 port 101 both pid 1002", "esx01 stop pid 1002"}),
            log);
  ASSERT_EQ(1u, r->gaps.size());
  EXPECT_EQ(1000ms, *r->gaps[0].to - r->gaps[0].from);
}

TEST_F(RuntimeTest, MissedEventsStillConverge) {
  spec.drs.enabled = false;
  options.resync = 10s;
  const auto t0 = clock.t;
  // Nobody announces either change.
  vcenter.at(5s, port("host-1", 101));
  vcenter.at(20s, [](FakeWorld& w) { w.vm("vm-1").host = MoRef{"HostSystem", "host-2"}; port("host-2", 300)(w); });
  auto r = run();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(Strings({"esx01 start esx01 port 100 both pid 1001",
                     "esx01 start esx01 port 101 both pid 1002", "esx01 stop pid 1001",
                     "esx02 start esx02 port 300 both pid 1003", "esx01 stop pid 1002",
                     "esx02 stop pid 1003"}),
            log);
  ASSERT_EQ(3u, r->pins.size());
  // The silent port change is found by the periodic re-check, within one resync period
  // (the port was resolved at 0 s, so at the first pass from 10 s on).
  EXPECT_EQ(10s, r->pins[1].start - t0);
  // The silent move is seen at the next pass (the VM's host is observed at every pass).
  EXPECT_EQ(20s, r->pins[2].start - t0);
}

TEST_F(RuntimeTest, OverrideSetAtStartRestoredAtEndToWhatWasThere) {
  world.overrides[{"c1", "vm-1"}] = model::DrsVmOverride{MoRef{"VirtualMachine", "vm-1"}, true, "fullyAutomated"};
  journal.log = &log;
  spec.stop.duration = 1s;
  auto r = run();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(Strings({"journal session.start", "journal override.set c1 vm-1", "drs set c1 vm-1 manual",
                     "esx01 start esx01 port 100 both pid 1001", "journal process.started 1001",
                     "esx01 stop pid 1001", "journal process.stopped 1001",
                     "drs set c1 vm-1 fullyAutomated", "journal override.restored c1 vm-1",
                     "journal session.end"}),
            log);
  EXPECT_EQ("fullyAutomated", (world.overrides[{"c1", "vm-1"}].behavior));
}

TEST_F(RuntimeTest, OverrideRestoredOnStopRequest) {
  std::atomic<bool> stop{false};
  options.stop_flag = &stop;
  vcenter.at(3s, [&](FakeWorld&) { stop = true; });
  auto r = run();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(EndReason::Requested, r->end_reason);
  EXPECT_EQ(Strings({"drs set c1 vm-1 manual", "esx01 start esx01 port 100 both pid 1001",
                     "esx01 stop pid 1001", "drs remove c1 vm-1"}),
            log);
  EXPECT_TRUE(world.overrides.empty());
  EXPECT_EQ(1, sink.finalize_calls);
}

TEST_F(RuntimeTest, OverrideRestoredAfterAnError) {
  options.vcenter_give_up = 5s;
  vcenter.at(2s, [&](FakeWorld&) { vcenter.fail_observe = 1000; });
  auto r = run();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(std::string::npos, r.error().message.find("vCenter unreachable for too long"));
  EXPECT_EQ(Strings({"drs set c1 vm-1 manual", "esx01 start esx01 port 100 both pid 1001",
                     "esx01 stop pid 1001", "drs remove c1 vm-1"}),
            log);
  ASSERT_TRUE(sink.finalized);
  EXPECT_EQ(EndReason::Error, sink.finalized->end_reason);
  EXPECT_TRUE(world.overrides.empty());
}

TEST_F(RuntimeTest, AdapterExceptionStillUndoesEverything) {
  vcenter.at(5s, [&](FakeWorld& w) {
    port("host-1", 101)(w);
    hosts.host("esx01", "host-1").throw_on_start = true;
  }, event(VmEventKind::Reset, "event:VmResettingEvent"));
  auto r = run();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ("orchestrator.exception", r.error().code);
  EXPECT_EQ(Strings({"drs set c1 vm-1 manual", "esx01 start esx01 port 100 both pid 1001",
                     "esx01 stop pid 1001", "drs remove c1 vm-1"}),
            log);
  EXPECT_EQ(1, sink.finalize_calls);
}

TEST_F(RuntimeTest, NoJournalNoSession) {
  journal.fail = 1;
  auto r = run();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ("journal.write", r.error().code);
  EXPECT_TRUE(log.empty());
  EXPECT_EQ(1, sink.finalize_calls);
}

TEST_F(RuntimeTest, OverrideRefusedCapturingGoesOn) {
  vcenter.fail_set_override = 1;
  journal.log = &log;
  spec.stop.duration = 1s;
  auto r = run();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(Strings({"journal session.start", "journal override.set c1 vm-1", "drs set c1 vm-1 manual",
                     "journal override.failed c1 vm-1", "esx01 start esx01 port 100 both pid 1001",
                     "journal process.started 1001", "esx01 stop pid 1001",
                     "journal process.stopped 1001", "journal session.end"}),
            log);
  EXPECT_TRUE(sink.has_line("comment DRS override of testvm1 in c1 not set: permission to edit"));
  ASSERT_EQ(1u, r->drs.size());
  EXPECT_FALSE(r->drs[0].ok);
}

TEST_F(RuntimeTest, BootsStopConditionCountsEachBootOnceAndWaitsTheGrace) {
  spec.stop.duration.reset();
  spec.stop.boots = 2;
  spec.drs.enabled = false;
  options.boots_grace = 10s;
  const auto t0 = clock.t;
  vcenter.at(5s, port("host-1", 101), event(VmEventKind::Reset, "event:VmResettingEvent"));
  vcenter.at(5500ms, nullptr, event(VmEventKind::PoweredOn, "event:VmPoweredOnEvent"));  // same boot
  vcenter.at(20s, port("host-1", 102), event(VmEventKind::Reset, "event:VmResettingEvent"));
  vcenter.at(100s, port("host-1", 103), event(VmEventKind::Reset, "event:VmResettingEvent"));
  auto r = run();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(EndReason::Boots, r->end_reason);
  EXPECT_EQ(2, r->boots);
  EXPECT_EQ(30s, r->ended - t0);
  EXPECT_EQ(2u, r->repins.size());
}

TEST_F(RuntimeTest, ResetsTwoSecondsApartAreTwoBoots) {
  // An engineer resetting a VM quickly still gets each boot counted (default window).
  spec.stop.duration.reset();
  spec.stop.boots = 2;
  spec.drs.enabled = false;
  options = RuntimeOptions{};
  options.session_id = "s1";
  options.boots_grace = 1s;
  const auto t0 = clock.t;
  vcenter.at(5s, port("host-1", 101), event(VmEventKind::Reset, "event:VmResettingEvent"));
  vcenter.at(7s, port("host-1", 102), event(VmEventKind::Reset, "event:VmResettingEvent"));
  vcenter.at(60s, port("host-1", 103), event(VmEventKind::Reset, "event:VmResettingEvent"));
  auto r = run();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(EndReason::Boots, r->end_reason);
  EXPECT_EQ(2, r->boots);
  EXPECT_GT(20s, r->ended - t0);
}

TEST_F(RuntimeTest, DeletedVmEndsTheSessionAfterStoppingItsCapture) {
  model::VmEvent removed = event(VmEventKind::Removed, "event:VmRemovedEvent");
  vcenter.at(5s, [](FakeWorld& w) { w.vms.clear(); }, removed);
  auto r = run();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(EndReason::TargetsGone, r->end_reason);
  EXPECT_GT(60s, r->ended - r->started);  // not the 60 s duration
  EXPECT_EQ(Strings({"drs set c1 vm-1 manual", "esx01 start esx01 port 100 both pid 1001",
                     "esx01 stop pid 1001", "drs remove c1 vm-1"}),
            log);
  EXPECT_TRUE(sink.has_line("comment every VM of this session was deleted"));
}

TEST_F(RuntimeTest, OutputWriteFailureEndsTheSessionAndUndoesEverything) {
  // The disk filled at 5 s: the session ends at once (not at its 60 s duration), stops
  // its captures and restores the override, and says why.
  vcenter.at(5s, [this](FakeWorld&) { sink.fail_output = "out.pcapng: No space left on device"; });
  auto r = run();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(std::string::npos, r.error().message.find("No space left on device")) << r.error().message;
  EXPECT_EQ(Strings({"drs set c1 vm-1 manual", "esx01 start esx01 port 100 both pid 1001",
                     "esx01 stop pid 1001", "drs remove c1 vm-1"}),
            log);
  ASSERT_TRUE(sink.finalized);
  EXPECT_EQ(EndReason::Error, sink.finalized->end_reason);
  EXPECT_GT(60s, sink.finalized->ended - sink.finalized->started);
}

TEST_F(RuntimeTest, PacketCountEndsTheSession) {
  spec.stop.packets = 1000;
  spec.drs.enabled = false;
  const auto t0 = clock.t;
  vcenter.at(3s, [&](FakeWorld&) { sink.set_totals.frames = 1000; });
  auto r = run();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(EndReason::Packets, r->end_reason);
  EXPECT_EQ(3s, r->ended - t0);
}

TEST_F(RuntimeTest, FailedStartIsRetriedWithBackoff) {
  spec.drs.enabled = false;
  spec.stop.duration = 3s;
  hosts.host("esx01", "host-1").fail_start = 2;
  auto r = run();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(Strings({"esx01 start esx01 port 100 both FAILED", "esx01 start esx01 port 100 both FAILED",
                     "esx01 start esx01 port 100 both pid 1001", "esx01 stop pid 1001"}),
            log);
  // Tried at 0 s, again after 0.5 s, then after 1 s more.
  ASSERT_EQ(1u, r->pins.size());
  EXPECT_EQ(1500ms, r->pins[0].start - (r->ended - 3s));
  EXPECT_TRUE(sink.has_line("comment esx01: starting esx01 port 100 both: connection refused; retrying in 500 ms"));
  EXPECT_TRUE(sink.has_line("comment esx01: starting esx01 port 100 both: connection refused; retrying in 1000 ms"));
}

TEST_F(RuntimeTest, DeadCaptureIsRestartedWithAGapComment) {
  spec.drs.enabled = false;
  spec.stop.duration = 5s;
  auto& esx01 = hosts.host("esx01", "host-1");
  vcenter.at(2s, [&](FakeWorld&) {
    esx01.health[1001] = CaptureStatus{CaptureStatus::Health::Exited, "Join with dump thread failed"};
  });
  auto r = run();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(Strings({"esx01 start esx01 port 100 both pid 1001", "esx01 start esx01 port 100 both pid 1002",
                     "esx01 stop pid 1002"}),
            log);
  EXPECT_EQ(1, r->restarts);
  EXPECT_TRUE(r->repins.empty());
  ASSERT_EQ(1u, r->gaps.size());
  EXPECT_EQ("esx01 port 100 both capture ended: Join with dump thread failed; restarting", r->gaps[0].reason);
  EXPECT_TRUE(sink.has_line("comment gap begins: nothing captures testvm1 " + kMac));
  EXPECT_EQ(500ms, *r->gaps[0].to - r->gaps[0].from);  // restarted after the per-pin backoff
}

// The host's connection was lost: the capture's gap starts when the host was last heard
// from (not when the loss was noticed); while the connection is being re-made in the
// background the start is tried at every pass, with one comment; once it is back the
// cut-off pktcap-uw is killed there, and only then journaled as stopped.
TEST_F(RuntimeTest, LostHostGapStartsWhenLastHeardAndTheCutOffCaptureIsKilledLater) {
  spec.drs.enabled = false;
  spec.stop.duration = 10s;
  journal.log = &log;
  const auto t0 = clock.t;
  auto& esx01 = hosts.host("esx01", "host-1");
  vcenter.at(4s, [&](FakeWorld&) {
    CaptureStatus lost{CaptureStatus::Health::Exited, "connection-lost: esx01: SSH connection lost"};
    lost.host_lost = true;
    lost.since = t0 + 2s;
    esx01.health[1001] = lost;
    esx01.fail_start = 3;  // three passes while it reconnects
    esx01.fail_code = "ssh.disconnected";
    esx01.fail_text = "esx01: SSH connection lost (stalled); reconnecting";
  });
  auto r = run();
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(1u, r->gaps.size());
  EXPECT_EQ(2s, r->gaps[0].from - t0);
  ASSERT_EQ(2u, r->pins.size());
  EXPECT_EQ(2s, *r->pins[0].end - t0);
  // No backoff while reconnecting: tried at every pass (the fake clock's tick).
  EXPECT_EQ(r->pins[1].start, *r->gaps[0].to);
  EXPECT_LE(r->pins[1].start - t0, 4s + 4 * options.tick);  // with backoff: 8 s
  size_t waits = 0;
  for (const auto& l : sink.lines) waits += l.find("capturing again as soon as it answers") != std::string::npos;
  EXPECT_EQ(1u, waits);
  // Said once, naming the host once.
  EXPECT_TRUE(sink.has_line(
      "comment esx01: SSH connection lost (stalled); reconnecting; capturing again as soon as it answers"));
  EXPECT_TRUE(sink.has_line("comment esx01 answers again"));
  // The cut-off capture: not journaled as stopped when lost, killed once the host is back.
  auto pos = [&](const std::string& s) { return std::find(log.begin(), log.end(), s) - log.begin(); };
  const auto kill = pos("esx01 kill pid 1001");
  ASSERT_LT(kill, static_cast<long>(log.size())) << ::testing::PrintToString(log);
  EXPECT_LT(pos("esx01 start esx01 port 100 both pid 1002"), kill + 2);
  size_t stopped_1001 = 0;
  for (const auto& rec : journal.records)
    if (rec.kind == JournalRecord::Kind::ProcessStopped && rec.remote_pid == 1001) {
      ++stopped_1001;
      EXPECT_GE(rec.at, t0 + 4s);
    }
  EXPECT_EQ(1u, stopped_1001);
}

// A host's first SSH connection still being made (the connector waits for it only
// briefly, so one silent host cannot hold up the others): tried at every pass without
// backoff, said once; the capture starts at the pass after it connects.
TEST_F(RuntimeTest, HostStillConnectingIsTriedAtEveryPassWithoutBackoff) {
  spec.drs.enabled = false;
  spec.stop.duration = 5s;
  const auto t0 = clock.t;
  hosts.fail_connect["esx01"] = 6;
  hosts.connect_fail_code = "ssh.connecting";
  auto r = run();
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(1u, r->pins.size());
  EXPECT_LE(r->pins[0].start - t0, 6 * options.tick);  // with backoff: seconds
  size_t waits = 0, retries = 0;
  for (const auto& l : sink.lines) {
    waits += l.find("cannot reach esx01; capturing as soon as it answers") != std::string::npos;
    retries += l.find("retrying in") != std::string::npos;
  }
  EXPECT_EQ(1u, waits) << ::testing::PrintToString(sink.lines);
  EXPECT_EQ(0u, retries) << ::testing::PrintToString(sink.lines);
  EXPECT_EQ(0, hosts.fail_connect["esx01"]);
}

// An on-host capture cut off from us goes on recording on its host: no gap is reported
// while the connection is re-made, and its pin is captured again after.
TEST_F(RuntimeTest, CaptureStillRecordingOnTheHostIsNoGap) {
  spec.drs.enabled = false;
  spec.stop.duration = 10s;
  const auto t0 = clock.t;
  auto& esx01 = hosts.host("esx01", "host-1");
  vcenter.at(4s, [&](FakeWorld&) {
    CaptureStatus lost{CaptureStatus::Health::Exited, "connection-lost"};
    lost.host_lost = true;
    lost.still_recording = true;
    lost.since = t0 + 3s;
    esx01.health[1001] = lost;
    esx01.fail_start = 4;
    esx01.fail_code = "ssh.disconnected";
  });
  auto r = run();
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(r->gaps.empty()) << r->gaps.size() << " gap(s), the first from "
                               << (r->gaps.empty() ? 0 : (r->gaps[0].from - t0).count());
  ASSERT_EQ(2u, r->pins.size());
  EXPECT_EQ(Strings({"esx01 start esx01 port 100 both pid 1001", "esx01 start esx01 port 100 both FAILED",
                     "esx01 start esx01 port 100 both FAILED", "esx01 start esx01 port 100 both FAILED",
                     "esx01 start esx01 port 100 both FAILED",
                     "esx01 start esx01 port 100 both pid 1002",  // the new one first, then
                     "esx01 kill pid 1001", "esx01 stop pid 1002"}),  // the cut-off one
            log);
}

// A host that refuses our host key (or login) needs the user: the session says so as an
// error and ends with one, instead of retrying quietly.
TEST_F(RuntimeTest, RefusedHostKeyIsAnErrorOfTheSession) {
  spec.drs.enabled = false;
  spec.stop.duration = 3s;
  auto& esx01 = hosts.host("esx01", "host-1");
  esx01.fail_start = 100;
  esx01.fail_code = "ssh.hostkey-changed";
  esx01.fail_text = "esx01: the host key CHANGED";
  auto r = run();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(std::string::npos, r.error().message.find("the host key CHANGED")) << r.error().message;
}

TEST_F(RuntimeTest, UnreachableHostKeepsTheRunningPinAndRetriesWithBackoff) {
  spec.drs.enabled = false;
  spec.stop.duration = 10s;
  const auto t0 = clock.t;
  vcenter.at(5s, [&](FakeWorld& w) {
    port("host-1", 101)(w);
    hosts.host("esx01", "host-1").fail_resolve = 2;
  }, event(VmEventKind::Reset, "event:VmResettingEvent"));
  auto r = run();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(Strings({"esx01 start esx01 port 100 both pid 1001", "esx01 start esx01 port 101 both pid 1002",
                     "esx01 stop pid 1001", "esx01 stop pid 1002"}),
            log);
  ASSERT_EQ(2u, r->pins.size());
  EXPECT_EQ(6500ms, r->pins[1].start - t0);  // failed at 5 s and 5.5 s, then waited 1 s
  EXPECT_TRUE(sink.has_line("comment esx01: finding the port of " + kMac +
                            ": connection refused; retrying in 500 ms"));
  EXPECT_TRUE(r->gaps.empty());
}

TEST_F(RuntimeTest, PortListedByTheApiNeedsNoSsh) {
  spec.drs.enabled = false;
  spec.stop.duration = 1s;
  world.ssh_ports.clear();
  world.api_ports["host-1"] = {model::PortInfo{33554436, "00:50:56:00:00:01", "virtualMachine", "VM Network"}};
  hosts.host("esx01", "host-1").fail_resolve = 1000;
  auto r = run();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(Strings({"esx01 start esx01 port 33554436 both pid 1001", "esx01 stop pid 1001"}), log);
}

TEST_F(RuntimeTest, UnknownVmIsAnErrorBeforeAnythingRuns) {
  spec.vms = {model::VmTarget{"nosuchvm", {}}};
  auto r = run();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ("orchestrator.vm-not-found", r.error().code);
  EXPECT_TRUE(log.empty());
  EXPECT_EQ(1, sink.finalize_calls);
}

TEST_F(RuntimeTest, JournalRecordsEveryRemoteProcessAndTheEnd) {
  spec.drs.enabled = false;
  vcenter.at(5s, port("host-1", 101), event(VmEventKind::Reset, "event:VmResettingEvent"));
  ASSERT_TRUE(run().ok());
  Strings kinds;
  for (const auto& rec : journal.records)
    kinds.push_back(std::string(to_string(rec.kind)) + (rec.remote_pid ? " " + std::to_string(rec.remote_pid) : ""));
  ASSERT_EQ(Strings({"session.start", "process.started 1001", "process.started 1002",
                     "process.stopped 1001", "process.stopped 1002", "session.end"}),
            kinds);
  EXPECT_EQ(4242, journal.records[0].pid);
  EXPECT_EQ("10.0.0.1", journal.records[1].host_address);
  EXPECT_EQ("esx01 port 100 both", journal.records[1].pin_name);
  EXPECT_EQ("", journal.records[1].remote_file);  // streamed
}

// On-host output: the journal names each capture's file, for `capture cleanup`.
TEST_F(RuntimeTest, JournalNamesTheFileOfAnOnHostCapture) {
  spec.drs.enabled = false;
  hosts.host("esx01", "host-1").file_dir = "/vmfs/volumes/ds1/vm-capture";
  ASSERT_TRUE(run().ok());
  ASSERT_EQ(JournalRecord::Kind::ProcessStarted, journal.records[1].kind);
  EXPECT_EQ("/vmfs/volumes/ds1/vm-capture/vmc-1001.pcap", journal.records[1].remote_file);
}

}  // namespace
}  // namespace vmc::orchestrator
