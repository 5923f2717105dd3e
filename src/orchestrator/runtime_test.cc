#include "orchestrator/runtime_test_support.h"

namespace vmc::orchestrator {
namespace {

using namespace runtime_testing;  // the fixture, its fakes, kMac, Strings, chrono literals

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

}  // namespace
}  // namespace vmc::orchestrator
