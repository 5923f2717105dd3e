#include "session/ssh_host_control.h"

#include <gtest/gtest.h>

#include "host/fake_host_connection.h"

namespace vmc::session {
namespace {

using orchestrator::CaptureStatus;
using orchestrator::Pin;

// What the runtime's sink hears about drops.
class DropSink : public orchestrator::FrameSink {
 public:
  void frame(const Pin&, const orchestrator::CapturedFrame&) override {}
  void capture_dropped(const Pin& pin, uint64_t n) override {
    drops.emplace_back(pin.key(), n);
  }
  std::vector<std::pair<std::string, uint64_t>> drops;
};

class SshHostControlTest : public ::testing::Test {
 protected:
  SshHostControlTest() {
    conn_ = new host::FakeHostConnection("esx01");
    // pktcap-uw's last start-up line: start_capture() returns once it is seen.
    conn_->on_start = [](host::FakeProcess& p) {
      if (p.argv.at(0) == "pktcap-uw") p.emit_stderr_line("pktcap: Vsock connection from port 1096 cid 2.");
    };
    host_.name = "esx01";
    host_.ref.value = "host-1";
    host_.version = "8.0.3";
    port_ = std::make_unique<SshHostControl>(host_, std::unique_ptr<host::HostConnection>(conn_));
    pin_.host = host_.ref;
    pin_.host_name = "esx01";
    pin_.port_id = 33554440;
    pin_.dir = model::Direction::Both;
    pin_.vm.value = "vm-1";
    pin_.mac = model::Mac::parse("00:50:56:00:00:01").value();
  }
  orchestrator::CaptureHandle start() {
    orchestrator::CaptureRequest req;
    req.pin = pin_;
    auto h = port_->start_capture(req, sink_);
    EXPECT_TRUE(h.ok()) << h.error().message;
    return *h;
  }
  host::FakeProcess& proc() { return *conn_->processes.at(0); }

  host::FakeHostConnection* conn_ = nullptr;  // owned by port_
  model::HostInfo host_;
  std::unique_ptr<SshHostControl> port_;
  Pin pin_;
  DropSink sink_;
};

// pktcap-uw's own count of dropped frames ("dropped N packets") reaches the sink when
// the capture is stopped, before the runtime closes the pin.
TEST_F(SshHostControlTest, StoppedCaptureReportsPktcapsDroppedCount) {
  auto h = start();
  conn_->handler = [&](const std::vector<std::string>& argv) -> std::optional<Result<host::ExecResult>> {
    if (argv == std::vector<std::string>{"kill", std::to_string(h.pid)}) {
      proc().emit_stderr_line("Dump: 120, broken : 0, drop: 7, file err: 0");
      proc().emit_stderr_line("Dumped 120 packet to file -, dropped 7 packets.");
      proc().emit_stderr_line("Done.");
      proc().exit(host::ProcessExit{0, "", false, "exited with status 0"});
      return Result<host::ExecResult>(host::ExecResult{0, "", ""});
    }
    return std::nullopt;
  };
  ASSERT_TRUE(port_->stop_capture(h).ok());
  ASSERT_EQ(1u, sink_.drops.size());
  EXPECT_EQ(pin_.key(), sink_.drops[0].first);
  EXPECT_EQ(7u, sink_.drops[0].second);
}

// A capture that ends by itself reports its count once, when its end is seen; one that
// printed no count reports nothing (unknown is not zero).
TEST_F(SshHostControlTest, CaptureEndingByItselfReportsItsCountOnce) {
  auto h = start();
  proc().emit_stderr_line("Dumped 5 packet to file -, dropped 2 packets.");
  proc().exit(host::ProcessExit{1, "", false, "exited with status 1"});
  EXPECT_EQ(CaptureStatus::Health::Exited, port_->status(h).health);
  EXPECT_EQ(CaptureStatus::Health::Exited, port_->status(h).health);
  ASSERT_EQ(1u, sink_.drops.size());
  EXPECT_EQ(2u, sink_.drops[0].second);

  pin_.port_id = 33554441;
  conn_->processes.clear();
  auto h2 = start();
  proc().exit(host::ProcessExit{1, "", false, "exited with status 1"});
  EXPECT_EQ(CaptureStatus::Health::Exited, port_->status(h2).health);
  EXPECT_EQ(1u, sink_.drops.size());
}

// A lost connection: the status says so, and since when the host was silent.
TEST_F(SshHostControlTest, LostConnectionTellsSinceWhen) {
  auto h = start();
  const auto heard = std::chrono::system_clock::now() - std::chrono::seconds(5);
  proc().exit(host::ProcessExit{std::nullopt, "", true, "esx01: SSH connection lost", heard});
  auto st = port_->status(h);
  EXPECT_EQ(CaptureStatus::Health::Exited, st.health);
  EXPECT_TRUE(st.host_lost);
  EXPECT_FALSE(st.still_recording);
  ASSERT_TRUE(st.since);
  EXPECT_EQ(heard, *st.since);
}

// A --dir 2 capture of a VM port is split by source MAC: the VM's own MAC sent it.
TEST(FrameDirection, BySourceMacForBothDirectionsOfAVmPort) {
  Pin pin;
  pin.kind = orchestrator::PinKind::VmPort;
  pin.dir = model::Direction::Both;
  pin.mac = model::Mac::parse("00:50:56:AA:bb:01").value();
  std::vector<uint8_t> from_vm(60, 0), to_vm(60, 0);
  const uint8_t vm[6] = {0x00, 0x50, 0x56, 0xaa, 0xbb, 0x01};
  std::copy(vm, vm + 6, from_vm.begin() + 6);  // source
  std::copy(vm, vm + 6, to_vm.begin());        // destination
  const FrameDirection dir(pin);
  EXPECT_EQ(model::Direction::Out, dir(from_vm));
  EXPECT_EQ(model::Direction::In, dir(to_vm));
  EXPECT_EQ(model::Direction::Both, dir(std::span<const uint8_t>(from_vm.data(), 11)));
  EXPECT_EQ(model::Direction::Out, frame_direction(pin, from_vm));
  pin.dir = model::Direction::In;  // one direction per process: as asked
  EXPECT_EQ(model::Direction::In, FrameDirection(pin)(from_vm));
  pin.dir = model::Direction::Both;
  pin.kind = orchestrator::PinKind::Uplink;  // many MACs: cannot be told
  EXPECT_EQ(model::Direction::Both, FrameDirection(pin)(from_vm));
  pin.kind = orchestrator::PinKind::VmPort;
  pin.mac = model::Mac::parse("not a mac").value_or(model::Mac());  // no MAC: cannot be told
  EXPECT_EQ(model::Direction::Both, FrameDirection(pin)(from_vm));
}

}  // namespace
}  // namespace vmc::session
