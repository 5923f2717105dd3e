// Sessions whose hosts fail: refused starts, dead captures, lost and slow connections.
#include "orchestrator/runtime_test_support.h"

namespace vmc::orchestrator {
namespace {

using namespace runtime_testing;  // the fixture, its fakes, kMac, Strings, chrono literals

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
    esx01.fail_kind = ErrorKind::Transient;
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
  hosts.connect_fail_kind = ErrorKind::Pending;
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
    esx01.fail_kind = ErrorKind::Transient;
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
  esx01.fail_kind = ErrorKind::Refused;
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
