#include "orchestrator/cleanup.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>

#include <gtest/gtest.h>

#include "orchestrator/fakes_test_support.h"
#include "orchestrator/runtime.h"
#include "orchestrator/sessions.h"

namespace vmc::orchestrator {
namespace {

using namespace std::chrono_literals;
using model::MoRef;
using Strings = std::vector<std::string>;

std::string temp_dir() {
  std::string tmpl = ::testing::TempDir() + "vmc-cleanup-XXXXXX";
  EXPECT_NE(nullptr, ::mkdtemp(tmpl.data()));
  return tmpl;
}

// What a session journals when its capture `pid` of esx01's port `port` starts.
JournalRecord capture_started(int64_t pid, int port, std::string file = {}) {
  JournalRecord r;
  r.kind = JournalRecord::Kind::ProcessStarted;
  r.host = MoRef{"HostSystem", "host-1"};
  r.host_name = "esx01";
  r.remote_pid = pid;
  r.pin_name = "esx01 port " + std::to_string(port) + " both";
  r.remote_file = std::move(file);
  return r;
}

class CleanupTest : public ::testing::Test {
 protected:
  CleanupTest() {
    model::HostInfo h;
    h.ref = MoRef{"HostSystem", "host-1"};
    h.name = "esx01";
    h.version = "8.0.3";
    h.mgmt_address = "10.0.0.1";
    h.uplinks = {"vmnic0"};
    world.hosts = {h};
    model::VmInfo vm;
    vm.ref = MoRef{"VirtualMachine", "vm-1"};
    vm.name = "testvm1";
    vm.host = h.ref;
    vm.cluster = MoRef{"ClusterComputeResource", "c1"};
    vm.power = model::PowerState::On;
    vm.nics = {model::NicInfo{4000, "Network adapter 1", "00:50:56:00:00:01", "VM Network", "", "", true}};
    world.vms = {vm};
    world.ssh_ports[{"host-1", "00:50:56:00:00:01"}] = 100;
    spec.name = "vm testvm1";
    spec.vms = {model::VmTarget{"testvm1", {}}};
    spec.stop.duration = 10s;
    dir = temp_dir();
  }

  // A session "live" of pid 77 that started pktcap-uw 5 on host-1 for `pin_key`, and
  // is still running (its journal ends there).
  void live_session(const std::string& pin_key) {
    auto live = FileJournal::create(dir, "live");
    ASSERT_TRUE(live.ok()) << live.error().message;
    live_ = std::move(live.value());
    JournalRecord start;
    start.kind = JournalRecord::Kind::SessionStart;
    start.pid = 77;
    start.session_id = "live";
    ASSERT_TRUE(live_->append(start).ok());
    JournalRecord proc;
    proc.kind = JournalRecord::Kind::ProcessStarted;
    proc.host = MoRef{"HostSystem", "host-1"};
    proc.remote_pid = 5;
    proc.pin_key = pin_key;
    ASSERT_TRUE(live_->append(proc).ok());
  }
  std::unique_ptr<FileJournal> live_;  // live_session()'s journal

  // Runs a whole session journaled to a real file, then cuts the journal back to what a
  // process killed with -9 just after `keep` records would have left.
  std::string crashed_session(size_t keep) {
    auto j = FileJournal::create(dir, "crashed");
    EXPECT_TRUE(j.ok());
    RuntimeOptions opt;
    opt.session_id = "crashed";
    opt.pid = 999999;
    fakes::FakeSink sink;
    model::VmEvent reset;
    reset.kind = model::VmEventKind::Reset;
    reset.vm = MoRef{"VirtualMachine", "vm-1"};
    vcenter.at(5s, [](fakes::FakeWorld& w) { w.ssh_ports[{"host-1", "00:50:56:00:00:01"}] = 101; },
               reset);
    Runtime rt(spec, vcenter, hosts, clock, sink, *j.value(), opt);
    EXPECT_TRUE(rt.run().ok());
    std::string path = j.value()->path();
    std::ifstream in(path);
    std::string line, kept;
    for (size_t i = 0; i < keep && std::getline(in, line); ++i) kept += line + "\n";
    in.close();
    std::ofstream(path, std::ios::trunc) << kept;
    log.clear();
    return path;
  }

  fakes::FakeWorld world;
  fakes::Log log;
  fakes::FakeClock clock;
  fakes::FakeVCenter vcenter{world, clock, log};
  fakes::FakeHosts hosts{world, log};
  model::SessionSpec spec;
  std::string dir;
};

TEST_F(CleanupTest, CrashLeavesCapturesAndOverrideThatCleanupUndoesOnce) {
  // Journal of the full session: start, override.set, started 1001, started 1002 (re-pin),
  // stopped 1001, ... Keep the first four: the process died with both captures running.
  std::string path = crashed_session(4);
  auto sessions = list_sessions(dir, [](int64_t) { return false; });
  ASSERT_EQ(1u, sessions.size());
  EXPECT_EQ(SessionListing::State::LeftOver, sessions[0].state);
  EXPECT_EQ("crashed", sessions[0].id);
  EXPECT_EQ(999999, sessions[0].pid);
  EXPECT_EQ("crashed  left-over  pid 999999  " + format_time(sessions[0].started) +
                "  vm testvm1\n"
                "    pktcap-uw pid 1001 on esx01 (esx01 port 100 both)\n"
                "    pktcap-uw pid 1002 on esx01 (esx01 port 101 both)\n"
                "    DRS override of vm-1 in c1 to restore to none\n",
            format_sessions(sessions));

  // The override is still set on the cluster, as the crash left it.
  world.overrides[{"c1", "vm-1"}] = model::DrsVmOverride{MoRef{"VirtualMachine", "vm-1"}, true, "manual"};
  auto records = read_journal(path);
  ASSERT_TRUE(records.ok());
  CleanupPlan plan = plan_cleanup(records.value());
  auto journal = FileJournal::open(path);
  ASSERT_TRUE(journal.ok());
  CleanupReport report = run_cleanup(plan, hosts, vcenter, *journal.value(), clock);
  EXPECT_TRUE(report.ok());
  EXPECT_EQ(Strings({"esx01 kill pid 1001", "esx01 kill pid 1002", "drs remove c1 vm-1"}), log);
  EXPECT_EQ(2, report.killed);
  EXPECT_EQ(1, report.restored);
  EXPECT_TRUE(world.overrides.empty());

  // Idempotent: the journal now says it is all undone.
  auto again = read_journal(path);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(plan_cleanup(again.value()).empty());
  EXPECT_EQ(JournalRecord::Kind::CleanupDone, again->back().kind);
  sessions = list_sessions(dir, [](int64_t) { return false; });
  EXPECT_EQ(SessionListing::State::Finished, sessions[0].state);
  EXPECT_TRUE(sessions[0].cleaned);
}

TEST_F(CleanupTest, CleanupSessionsUndoesLeftOversOnlyOnce) {
  crashed_session(4);
  world.overrides[{"c1", "vm-1"}] = model::DrsVmOverride{MoRef{"VirtualMachine", "vm-1"}, true, "manual"};
  auto dead = [](int64_t) { return false; };
  auto done = cleanup_sessions(dir, [](int64_t) { return true; }, hosts, vcenter, clock);
  EXPECT_TRUE(done.empty());  // its process runs: not ours to undo
  EXPECT_TRUE(log.empty());
  done = cleanup_sessions(dir, dead, hosts, vcenter, clock);
  ASSERT_EQ(1u, done.size());
  EXPECT_TRUE(done[0].report.ok());
  EXPECT_EQ(Strings({"esx01 kill pid 1001", "esx01 kill pid 1002", "drs remove c1 vm-1"}), log);
  log.clear();
  EXPECT_TRUE(cleanup_sessions(dir, dead, hosts, vcenter, clock).empty());
  EXPECT_TRUE(log.empty());
}

TEST_F(CleanupTest, CleanSessionNeedsNothingAndRunningSessionIsNotTouched) {
  crashed_session(1000);  // the whole journal: a session that ended normally
  auto sessions = list_sessions(dir, [](int64_t) { return false; });
  ASSERT_EQ(1u, sessions.size());
  EXPECT_EQ(SessionListing::State::Finished, sessions[0].state);
  EXPECT_TRUE(sessions[0].ended);

  // A journal cut short whose process still runs is a running session.
  ASSERT_NO_FATAL_FAILURE(live_session(""));
  sessions = list_sessions(dir, [](int64_t pid) { return pid == 77; });
  ASSERT_EQ(2u, sessions.size());
  EXPECT_EQ(SessionListing::State::Finished, sessions[0].state);  // "crashed" sorts first
  EXPECT_EQ(SessionListing::State::Running, sessions[1].state);
  EXPECT_TRUE(sessions[1].leftovers.empty());
  sessions = list_sessions(dir, [](int64_t) { return false; });
  EXPECT_EQ(SessionListing::State::LeftOver, sessions[1].state);
  EXPECT_TRUE(list_sessions(dir + "/missing", [](int64_t) { return true; }).empty());
}

TEST_F(CleanupTest, SessionsHoldingAVmAreTheRunningOnesThatCaptureIt) {
  ASSERT_NO_FATAL_FAILURE(live_session("host-1|port:100|both|vm-12|00:50:56:00:00:01"));
  auto alive = [](int64_t pid) { return pid == 77; };
  const MoRef vm12{"VirtualMachine", "vm-12"};
  auto held = sessions_holding(dir, alive, vm12, /*own_pid=*/1);
  ASSERT_EQ(1u, held.size());
  EXPECT_EQ("live", held[0].id);
  EXPECT_EQ(77, held[0].pid);
  // Not another VM whose id is a prefix, not this process's own session, not a dead one.
  EXPECT_TRUE(sessions_holding(dir, alive, MoRef{"VirtualMachine", "vm-1"}, 1).empty());
  EXPECT_TRUE(sessions_holding(dir, alive, vm12, /*own_pid=*/77).empty());
  EXPECT_TRUE(sessions_holding(dir, [](int64_t) { return false; }, vm12, 1).empty());
  // A DRS override set for the VM holds it too (a session with no capture running yet).
  JournalRecord ov;
  ov.kind = JournalRecord::Kind::OverrideSet;
  ov.cluster = MoRef{"ClusterComputeResource", "c1"};
  ov.vm = MoRef{"VirtualMachine", "vm-1"};
  ASSERT_TRUE(live_->append(ov).ok());
  EXPECT_EQ(1u, sessions_holding(dir, alive, MoRef{"VirtualMachine", "vm-1"}, 1).size());
}

TEST_F(CleanupTest, RestoresAPreviousOverrideAndLeavesOneChangedByOthers) {
  const MoRef c1{"ClusterComputeResource", "c1"};
  const MoRef vm1{"VirtualMachine", "vm-1"}, vm2{"VirtualMachine", "vm-2"};
  std::vector<JournalRecord> recs(2);
  for (auto& r : recs) {
    r.kind = JournalRecord::Kind::OverrideSet;
    r.cluster = c1;
    r.applied = model::DrsVmOverride{{}, true, "manual"};
  }
  recs[0].vm = vm1;
  recs[0].previous = model::DrsVmOverride{vm1, true, "fullyAutomated"};
  recs[1].vm = vm2;
  world.overrides[{"c1", "vm-1"}] = model::DrsVmOverride{vm1, true, "manual"};
  world.overrides[{"c1", "vm-2"}] = model::DrsVmOverride{vm2, true, "partiallyAutomated"};  // someone's edit
  fakes::FakeJournal journal;
  auto report = run_cleanup(plan_cleanup(recs), hosts, vcenter, journal, clock);
  EXPECT_TRUE(report.ok());
  EXPECT_EQ(Strings({"drs set c1 vm-1 fullyAutomated"}), log);
  EXPECT_EQ("partiallyAutomated", (world.overrides[{"c1", "vm-2"}].behavior));
  EXPECT_EQ("DRS override of vm-2 in c1 is 'partiallyAutomated', changed since we set 'manual'; left as it is",
            report.notes[1]);
}

TEST_F(CleanupTest, UnreachableHostKeepsItsEntryForTheNextCleanup) {
  std::vector<JournalRecord> recs{capture_started(1001, 100)};
  hosts.fail_connect["esx01"] = 1;
  fakes::FakeJournal journal;
  auto report = run_cleanup(plan_cleanup(recs), hosts, vcenter, journal, clock);
  ASSERT_EQ(1u, report.errors.size());
  EXPECT_EQ("esx01: cannot stop pktcap-uw 1001 on esx01 (esx01 port 100 both): cannot reach esx01",
            report.errors[0].context("esx01").message);
  EXPECT_TRUE(journal.records.empty());  // no CleanupDone: it is still to do
  recs.insert(recs.end(), journal.records.begin(), journal.records.end());
  EXPECT_EQ(1u, plan_cleanup(recs).kill.size());
}

// On-host output: a crashed session's capture files are on the host. Cleanup stops each
// capture, then fetches its file; only then is the capture recorded stopped.
TEST_F(CleanupTest, OnHostFilesAreFetchedAfterTheirCapturesStop) {
  const std::string f1 = "/vmfs/volumes/datastore1/vm-capture/vmc-s-esx01-100-both-1.pcap";
  const std::string f2 = "/vmfs/volumes/datastore1/vm-capture/vmc-s-esx01-101-both-2.pcap";
  std::vector<JournalRecord> recs{capture_started(1001, 100, f1), capture_started(1002, 101, f2),
                                  capture_started(1003, 102)};  // streamed: no file
  auto& esx01 = hosts.host("esx01", "host-1");
  esx01.fetch_errors.emplace(f2, Error("onhost.verify", "esx01:" + f2 + ": the copy does not match"));

  // Journal line round trip keeps the file.
  auto line = parse_journal_line(to_json_line(recs[0]));
  ASSERT_TRUE(line.ok());
  EXPECT_EQ(f1, line->remote_file);
  CleanupPlan plan = plan_cleanup(recs);
  ASSERT_EQ(3u, plan.kill.size());
  EXPECT_EQ(f1, plan.kill[0].remote_file);

  CleanupOptions opt;
  opt.fetch_dir = "/home/me/out";
  fakes::FakeJournal journal;
  auto report = run_cleanup(plan, hosts, vcenter, journal, clock, opt);
  EXPECT_EQ(Strings({"esx01 kill pid 1001",
                     "esx01 fetch " + f1 + " -> /home/me/out/vmc-s-esx01-100-both-1.pcap",
                     "esx01 kill pid 1002",
                     "esx01 fetch " + f2 + " -> /home/me/out/vmc-s-esx01-101-both-2.pcap",
                     "esx01 kill pid 1003"}),
            log);
  EXPECT_EQ(1, report.fetched);
  ASSERT_EQ(1u, report.errors.size());
  EXPECT_EQ("fetching the capture file of pktcap-uw 1002 on esx01 (esx01 port 101 both): esx01:" + f2 +
                ": the copy does not match",
            report.errors[0].message);
  EXPECT_NE(std::find(report.notes.begin(), report.notes.end(),
                      "fetched its capture file esx01:" + f1 +
                          " to /home/me/out/vmc-s-esx01-100-both-1.pcap (" +
                          std::to_string(f1.size() * 100) + " bytes, size and SHA-256 verified)"),
            report.notes.end());
  // 1001 (fetched) and 1003 (streamed) are done; 1002 waits for the next cleanup.
  ASSERT_EQ(2u, journal.records.size());
  EXPECT_EQ(1001, journal.records[0].remote_pid);
  EXPECT_EQ("cleanup: file fetched to /home/me/out/vmc-s-esx01-100-both-1.pcap", journal.records[0].detail);
  EXPECT_EQ(1003, journal.records[1].remote_pid);
  recs.insert(recs.end(), journal.records.begin(), journal.records.end());
  plan = plan_cleanup(recs);
  ASSERT_EQ(1u, plan.kill.size());
  EXPECT_EQ(f2, plan.kill[0].remote_file);

  // Next time the host no longer has it (someone fetched it by hand): done, said so.
  log.clear();
  journal.records.clear();
  esx01.fetch_errors.clear();
  esx01.fetch_errors.emplace(
      f2, Error("onhost.missing", "esx01:" + f2 + ": no such file on the host", ErrorKind::NotFound));
  report = run_cleanup(plan, hosts, vcenter, journal, clock, opt);
  EXPECT_TRUE(report.ok());
  EXPECT_EQ(0, report.fetched);
  EXPECT_EQ(Strings({"stopped pktcap-uw 1002 on esx01 (esx01 port 101 both)",
                     "its capture file esx01:" + f2 + " is no longer on the host"}),
            report.notes);
  ASSERT_EQ(2u, journal.records.size());
  EXPECT_EQ(JournalRecord::Kind::ProcessStopped, journal.records[0].kind);
  EXPECT_EQ(JournalRecord::Kind::CleanupDone, journal.records[1].kind);
}

// A new session's start-up cleanup gives no fetch directory: it stops the capture but
// leaves the file (and so the session) for `capture cleanup`.
TEST_F(CleanupTest, WithoutAFetchDirectoryTheFileStaysLeftOver) {
  std::vector<JournalRecord> recs{
      capture_started(1001, 100, "/vmfs/volumes/datastore1/vm-capture/vmc-s-esx01-100-both-1.pcap")};
  fakes::FakeJournal journal;
  auto report = run_cleanup(plan_cleanup(recs), hosts, vcenter, journal, clock);
  EXPECT_TRUE(report.ok());
  EXPECT_EQ(1, report.left_on_hosts);
  EXPECT_EQ(Strings({"esx01 kill pid 1001"}), log);
  EXPECT_EQ("its capture file esx01:" + recs[0].remote_file +
                " stays on the host; `capture cleanup` fetches it",
            report.notes.back());
  EXPECT_TRUE(journal.records.empty());  // neither stopped nor CleanupDone
  EXPECT_EQ(1u, plan_cleanup(recs).kill.size());
  SessionListing s;
  s.state = SessionListing::State::LeftOver;
  s.id = "x";
  s.name = "plan p";
  s.leftovers = plan_cleanup(recs);
  EXPECT_NE(format_sessions({s}).find("      its capture file to fetch: " + recs[0].remote_file + "\n"),
            std::string::npos)
      << format_sessions({s});
}

}  // namespace
}  // namespace vmc::orchestrator
