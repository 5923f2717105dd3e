#include "orchestrator/repin_log.h"

#include <gtest/gtest.h>

namespace vmc::orchestrator {
namespace {

using Names = std::vector<std::string>;

Pin at(const std::string& host_id, int64_t port, model::Direction dir = model::Direction::Both) {
  Pin p;
  p.host = model::MoRef{"HostSystem", host_id};
  p.host_name = host_id;
  p.port_id = port;
  p.dir = dir;
  p.vm = model::MoRef{"VirtualMachine", "vm-1"};
  p.mac = model::Mac::parse("00:50:56:00:00:01").value();
  return p;
}

TEST(RepinLog, FirstPinIsNoRepinAnotherPortIs) {
  RepinLog log;
  EXPECT_FALSE(log.port_pin_started(at("host-1", 100), {}));
  auto from = log.port_pin_started(at("host-1", 101), {at("host-1", 100)});
  ASSERT_TRUE(from);
  EXPECT_EQ(Names({"host-1 port 100 both"}), *from);
  EXPECT_EQ(Names({"host-1 port 101 both"}), *log.port_pin_started(at("host-2", 7), {}));
}

TEST(RepinLog, SamePortAgainIsARepinOnlyAfterTheNicHadNoPortCapture) {
  RepinLog log;
  log.port_pin_started(at("host-1", 100), {});
  // A power cycle: the NIC had nothing running, then the same port again.
  EXPECT_TRUE(log.port_pin_started(at("host-1", 100), {}));
  // A bridge ran meanwhile: still nothing of the NIC's port ran.
  Pin bridge = at("host-1", 0);
  bridge.kind = PinKind::Bridge;
  EXPECT_TRUE(log.port_pin_started(at("host-1", 100), {bridge}));
}

TEST(RepinLog, ASecondDirectionIsNoRepinAndAMoveNamesBoth) {
  RepinLog log;
  const Pin in = at("host-3", 7, model::Direction::In);
  log.port_pin_started(in, {});
  EXPECT_FALSE(log.port_pin_started(at("host-3", 7, model::Direction::Out), {in}));
  auto from = log.port_pin_started(at("host-3", 8, model::Direction::In), {});
  ASSERT_TRUE(from);
  EXPECT_EQ(Names({"host-3 port 7 in", "host-3 port 7 out"}), *from);
}

TEST(RepinLog, ARestartIsNoRepin) {
  RepinLog log;
  const Pin pin = at("host-1", 100);
  log.port_pin_started(pin, {});
  log.restarting(pin.key());
  EXPECT_FALSE(log.port_pin_started(pin, {}));
  EXPECT_TRUE(log.port_pin_started(pin, {}));  // the restart was used up: a power cycle
}

}  // namespace
}  // namespace vmc::orchestrator
