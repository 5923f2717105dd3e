#include "host/pktcap_process.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "host/fake_host_connection.h"

namespace vmc::host {
namespace {

const std::vector<std::string> kArgv{"pktcap-uw", "--switchport", "33554442", "--dir", "2", "-o", "-"};

std::string ps_with(const std::vector<std::pair<int64_t, std::string>>& rows) {
  std::string out = "WID       CID       World Name           Command\n";
  for (const auto& [pid, cmd] : rows) {
    std::string name = cmd.substr(0, cmd.find(' '));
    char buf[512];
    std::snprintf(buf, sizeof buf, "%-9lld %-9lld %-20s %s\n", static_cast<long long>(pid),
                  static_cast<long long>(pid), name.c_str(), cmd.c_str());
    out += buf;
  }
  return out;
}

Sleeper no_sleep(int* count) {
  return [count](std::chrono::milliseconds) { ++*count; };
}

struct Harness {
  FakeHostConnection conn;
  std::string pcap;
  std::unique_ptr<PktcapProcess> cap;
  Harness() {
    auto c = PktcapProcess::start(conn, kArgv, [this](std::string_view d) { pcap.append(d); });
    EXPECT_TRUE(c.ok());
    cap = std::move(*c);
  }
  FakeProcess& proc() { return *conn.processes.at(0); }
};

TEST(PktcapProcess, StreamsBytesAndFoldsStderr) {
  Harness h;
  EXPECT_EQ(h.conn.commands_ran,
            (std::vector<std::string>{"start: pktcap-uw --switchport 33554442 --dir 2 -o -"}));
  EXPECT_EQ(h.cap->pid(), 4000);  // start() returns once the PID is known
  EXPECT_EQ(*h.cap->health(), CaptureHealth::Starting);
  h.proc().send_pid();
  h.proc().emit_stderr_line("The switch port id is 0x0200000a.");
  h.proc().emit_stdout(std::string("\xd4\xc3\xb2\xa1", 4));
  h.proc().emit_stdout("rest");
  EXPECT_EQ(h.cap->pid(), 4000);
  EXPECT_EQ(h.pcap, std::string("\xd4\xc3\xb2\xa1rest", 8));
  EXPECT_EQ(h.cap->bytes(), 8u);
  EXPECT_EQ(h.cap->status().switch_port(), 0x0200000a);
  EXPECT_EQ(*h.cap->health(), CaptureHealth::Running);
}

TEST(PktcapProcess, StopKillsOnlyItsPidAndVerifies) {
  Harness h;
  h.proc().send_pid();
  h.proc().emit_stderr_line("pktcap: Accept...");
  int ps_calls = 0;
  h.conn.handler = [&](const std::vector<std::string>& argv) -> std::optional<Result<ExecResult>> {
    if (argv == std::vector<std::string>{"ps", "-c"}) {
      ++ps_calls;
      // Someone else's pktcap-uw (4100) runs too; ours disappears after the kill.
      std::vector<std::pair<int64_t, std::string>> rows{{4100, "pktcap-uw --uplink vmnic0 -o /vmfs/volumes/ds/x"}};
      if (ps_calls == 1) rows.insert(rows.begin(), {4000, "pktcap-uw --switchport 33554442 --dir 2 -o -"});
      return Result<ExecResult>(ExecResult{0, ps_with(rows), ""});
    }
    if (argv == std::vector<std::string>{"kill", "4000"}) {
      h.proc().emit_stderr_line("Dump: 12, broken : 0, drop: 0, file err: 0");
      h.proc().emit_stderr_line("Done.");
      h.proc().exit(ProcessExit{0, "", false, "exited with status 0"});
      return Result<ExecResult>(ExecResult{0, "", ""});
    }
    return std::nullopt;
  };
  int sleeps = 0;
  auto rep = h.cap->stop({}, no_sleep(&sleeps));
  ASSERT_TRUE(rep.ok()) << rep.error().message;
  EXPECT_TRUE(rep->was_running);
  EXPECT_TRUE(rep->killed);
  EXPECT_TRUE(rep->gone);
  EXPECT_FALSE(rep->escalated);
  EXPECT_EQ(sleeps, 0);
  // The channel was open, so the PID was still ours: one kill, its end seen on the channel.
  EXPECT_EQ(h.conn.commands_ran, (std::vector<std::string>{"start: pktcap-uw --switchport 33554442 --dir 2 -o -",
                                                           "kill 4000"}));
  EXPECT_EQ(ps_calls, 0);
  EXPECT_EQ(h.cap->status().state(), PktcapState::Done);
  EXPECT_EQ(h.cap->status().final_stats()->dump, 12);
  EXPECT_EQ(*h.cap->health(), CaptureHealth::Stopped);
}

TEST(PktcapProcess, LostChannelIsVerifiedWithPsBeforeTheKill) {
  Harness h;
  h.proc().send_pid();
  // The SSH connection broke: the channel is gone, the process may live on (or its PID
  // may have been reused), so `ps` must show our pktcap-uw before anything is killed.
  h.proc().exit(ProcessExit{-1, "", true, "connection lost"});
  int ps_calls = 0;
  h.conn.handler = [&](const std::vector<std::string>& argv) -> std::optional<Result<ExecResult>> {
    if (argv == std::vector<std::string>{"ps", "-c"}) {
      ++ps_calls;
      std::vector<std::pair<int64_t, std::string>> rows;
      if (ps_calls == 1) rows.push_back({4000, "pktcap-uw --switchport 33554442 --dir 2 -o -"});
      return Result<ExecResult>(ExecResult{0, ps_with(rows), ""});
    }
    return Result<ExecResult>(ExecResult{0, "", ""});
  };
  int sleeps = 0;
  StopOptions opt;
  opt.exit_wait = std::chrono::milliseconds(0);
  auto rep = h.cap->stop(opt, no_sleep(&sleeps));
  ASSERT_TRUE(rep.ok()) << rep.error().message;
  EXPECT_TRUE(rep->gone);
  EXPECT_EQ(h.conn.commands_ran, (std::vector<std::string>{"start: pktcap-uw --switchport 33554442 --dir 2 -o -",
                                                           "ps -c", "kill 4000", "ps -c"}));
}

TEST(PktcapProcess, EscalatesWhenTermIsIgnored) {
  Harness h;
  h.proc().send_pid();
  bool hard = false;
  h.conn.handler = [&](const std::vector<std::string>& argv) -> std::optional<Result<ExecResult>> {
    if (argv[0] == "ps") {
      std::vector<std::pair<int64_t, std::string>> rows;
      if (!hard) rows.push_back({4000, "pktcap-uw --switchport 33554442"});
      return Result<ExecResult>(ExecResult{0, ps_with(rows), ""});
    }
    if (argv == std::vector<std::string>{"kill", "-KILL", "4000"}) hard = true;
    return Result<ExecResult>(ExecResult{0, "", ""});
  };
  int sleeps = 0;
  StopOptions opt;
  opt.verify_attempts = 3;
  opt.verify_interval = std::chrono::milliseconds(1);
  opt.exit_wait = std::chrono::milliseconds(0);
  auto rep = h.cap->stop(opt, no_sleep(&sleeps));
  ASSERT_TRUE(rep.ok());
  EXPECT_TRUE(rep->escalated);
  EXPECT_TRUE(rep->gone);
  EXPECT_EQ(sleeps, 3);
  // Only ever our PID, never pkill/killall.
  for (const auto& c : h.conn.commands_ran) {
    EXPECT_EQ(c.find("pkill"), std::string::npos);
    EXPECT_EQ(c.find("killall"), std::string::npos);
    if (c.rfind("kill", 0) == 0) {
      EXPECT_NE(c.find("4000"), std::string::npos) << c;
    }
  }
}

TEST(StopPktcapPid, NeverKillsAReusedPid) {
  FakeHostConnection conn;
  conn.respond("ps -c", ExecResult{0, ps_with({{4000, "vi /etc/motd"}}), ""});
  int sleeps = 0;
  auto rep = stop_pktcap_pid(conn, 4000, {}, no_sleep(&sleeps));
  ASSERT_TRUE(rep.ok());
  EXPECT_FALSE(rep->killed);
  EXPECT_NE(rep->note.find("not killed"), std::string::npos);
  EXPECT_EQ(conn.commands_ran, (std::vector<std::string>{"ps -c"}));
}

TEST(StopPktcapPid, AlreadyGoneAndErrors) {
  FakeHostConnection conn;
  conn.respond("ps -c", ExecResult{0, ps_with({}), ""});
  int sleeps = 0;
  auto rep = stop_pktcap_pid(conn, 4000, {}, no_sleep(&sleeps));
  ASSERT_TRUE(rep.ok());
  EXPECT_TRUE(rep->gone);
  EXPECT_FALSE(rep->killed);

  FakeHostConnection broken;
  broken.respond("ps -c", ExecResult{0, ps_with({{4000, "pktcap-uw -o -"}}), ""});
  broken.respond("kill 4000", ExecResult{1, "", "sh: can't kill pid 4000: Operation not permitted\n"});
  auto e = stop_pktcap_pid(broken, 4000, {}, no_sleep(&sleeps));
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().code, "pktcap.kill");
  EXPECT_NE(e.error().message.find("Operation not permitted"), std::string::npos);

  EXPECT_FALSE(stop_pktcap_pid(conn, 1, {}, no_sleep(&sleeps)).ok());
}

TEST(PktcapProcess, NoPidMeansNoCaptureAndNothingKilled) {
  FakeHostConnection conn;
  conn.auto_pid = false;
  auto c = PktcapProcess::start(conn, kArgv, nullptr, std::chrono::milliseconds(0));
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, "pktcap.no-pid");
  EXPECT_EQ(conn.commands_ran.size(), 1u);  // no ps, no kill
  EXPECT_TRUE(conn.processes.at(0)->closed);
}

TEST(PktcapProcess, EndsBeforePid) {
  FakeHostConnection conn;
  conn.auto_pid = false;
  conn.on_start = [](FakeProcess& p) {
    p.emit_stderr_line("sh: pktcap-uw: not found");
    p.exit(ProcessExit{127, "", false, "exited with status 127"});
  };
  auto c = PktcapProcess::start(conn, kArgv, nullptr);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, "pktcap.start");
  EXPECT_NE(c.error().message.find("pktcap-uw: not found"), std::string::npos) << c.error().message;
  EXPECT_NE(c.error().message.find("status 127"), std::string::npos);
}

TEST(PktcapProcess, DeadFailedLostAndDeaf) {
  {
    Harness h;
    h.proc().send_pid();
    h.proc().emit_stderr_line("error: No such capture point: VnicRx");
    EXPECT_EQ(*h.cap->health(), CaptureHealth::Failed);
    EXPECT_EQ(h.cap->status().error_kind(), PktcapLineKind::NoSuchCapturePoint);
  }
  {
    Harness h;
    h.proc().send_pid();
    h.proc().exit(ProcessExit{std::nullopt, "KILL", false, "killed by SIGKILL"});
    EXPECT_EQ(*h.cap->health(), CaptureHealth::Exited);
    EXPECT_EQ(h.cap->exit_info()->signal, "KILL");
  }
  {
    Harness h;
    h.proc().send_pid();
    h.proc().exit(ProcessExit{std::nullopt, "", true, "SSH connection lost"});
    EXPECT_EQ(*h.cap->health(), CaptureHealth::ConnectionLost);
  }
  {
    Harness h;
    h.proc().send_pid();
    h.proc().emit_stderr_line("pktcap: Accept...");
    h.conn.respond("net-stats -l", ExecResult{0, "33554443 5 9 vSwitch0 00:50:56:aa:00:01 testvm1.eth0\n", ""});
    PortResolver res(h.conn);
    EXPECT_EQ(*h.cap->health(&res, std::make_pair(int64_t{33554442}, std::string("00:50:56:aa:00:01"))),
              CaptureHealth::Deaf);
    EXPECT_EQ(*h.cap->health(&res, std::make_pair(int64_t{33554443}, std::string("00:50:56:AA:00:01"))),
              CaptureHealth::Running);
  }
}

TEST(PktcapProcess, StartFailure) {
  FakeHostConnection conn;
  conn.start_error = Error("ssh.disconnected", "esx01: not connected");
  auto c = PktcapProcess::start(conn, kArgv, nullptr);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, "ssh.disconnected");
  EXPECT_NE(c.error().message.find("starting pktcap-uw on esx01"), std::string::npos);
}


// The PID arrives from the shell before pktcap-uw itself runs; wait_connected() waits
// for its "Vsock connection" line (7.0+ on its own line, 6.x run on after "Accept..."),
// the point from which frames flow.
TEST(PktcapProcess, WaitConnectedWaitsForTheVsockConnectionLine) {
  for (const char* line : {"pktcap: Vsock connection from port 1096 cid 2.",
                           "Accept...Vsock connection from port 1823 cid 2"}) {
    FakeHostConnection conn;
    std::atomic<FakeProcess*> started{nullptr};
    conn.on_start = [&](FakeProcess& p) { started = &p; };
    auto c = PktcapProcess::start(conn, kArgv, nullptr);
    ASSERT_TRUE(c.ok());
    EXPECT_FALSE((*c)->connected());
    (*started).emit_stderr_line("pktcap: Listen on port 7799.");
    EXPECT_FALSE((*c)->wait_connected(std::chrono::milliseconds(20))) << "connected before the line";
    std::thread later([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      (*started).emit_stderr_line(line);
    });
    const auto t0 = std::chrono::steady_clock::now();
    EXPECT_TRUE((*c)->wait_connected(std::chrono::seconds(10))) << line;
    const auto waited = std::chrono::steady_clock::now() - t0;
    later.join();
    EXPECT_LT(waited, std::chrono::seconds(10)) << "woke at the line, not at the limit";
    EXPECT_TRUE((*c)->connected());
  }
}

TEST(PktcapProcess, WaitConnectedEndsWithTheProcess) {
  FakeHostConnection conn;
  auto c = PktcapProcess::start(conn, kArgv, nullptr);
  ASSERT_TRUE(c.ok());
  conn.processes.at(0)->exit(ProcessExit{});
  EXPECT_FALSE((*c)->wait_connected(std::chrono::seconds(10)));
}

}  // namespace
}  // namespace vmc::host
