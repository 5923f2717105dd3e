#include "orchestrator/coverage.h"

#include <gtest/gtest.h>

namespace vmc::orchestrator {
namespace {

using namespace std::chrono_literals;
using Strings = std::vector<std::string>;

const model::MoRef kVm{"VirtualMachine", "vm-1"};
const model::Mac kNicMac = model::Mac::parse("00:50:56:00:00:01").value();
const NicKey kNic{kVm, kNicMac};

Pin port_pin(int64_t port) {
  Pin p;
  p.host = model::MoRef{"HostSystem", "host-1"};
  p.port_id = port;
  p.vm = kVm;
  p.vm_name = "testvm1";
  p.mac = kNicMac;
  return p;
}

std::vector<model::VmInfo> the_vm() {
  model::VmInfo v;
  v.ref = kVm;
  return {v};
}

class CoverageTest : public ::testing::Test {
 protected:
  Strings update(const std::vector<Pin>& running, const std::string& why = "capture stopped",
                 const std::vector<model::VmInfo>& vms = the_vm()) {
    return coverage.update(running, vms, why, t, gaps);
  }
  Coverage coverage;
  std::vector<Gap> gaps;
  model::TimePoint t = model::TimePoint{} + 1000h;
};

TEST_F(CoverageTest, AStoppedCaptureOpensAGapWithItsReasonAndTheNextClosesIt) {
  EXPECT_TRUE(update({port_pin(100)}).empty());
  coverage.stopped(kNic, "testvm1 is poweredOff");
  t += 1s;
  EXPECT_EQ(Strings({"gap begins: nothing captures testvm1 00:50:56:00:00:01 (testvm1 is poweredOff)"}),
            update({}));
  t += 2s;
  EXPECT_EQ(Strings({"gap ends: testvm1 00:50:56:00:00:01 captured again after 2000 ms"}),
            update({port_pin(105)}));
  ASSERT_EQ(1u, gaps.size());
  EXPECT_EQ(2s, *gaps[0].to - gaps[0].from);
  EXPECT_EQ(kVm, gaps[0].vm);
}

TEST_F(CoverageTest, AnEndedCaptureGapStartsWhenItWasLastGoodAndUnexplainedOnesTakeWhy) {
  update({port_pin(100)});
  coverage.ended(kNic, "capture ended", t - 3s, /*still_recording=*/false);
  t += 1s;
  update({});
  ASSERT_EQ(1u, gaps.size());
  EXPECT_EQ(4s, t - gaps[0].from);
  EXPECT_EQ("capture ended", gaps[0].reason);
  update({port_pin(100)});
  update({});  // nothing said why this time
  ASSERT_EQ(2u, gaps.size());
  EXPECT_EQ("capture stopped", gaps[1].reason);
  EXPECT_EQ(t, gaps[1].from);
}

TEST_F(CoverageTest, StillRecordingOnTheHostCoversUntilTheNextCaptureRunsOrTheVmLeaves) {
  update({port_pin(100)});
  coverage.ended(kNic, "connection lost", t, /*still_recording=*/true);
  EXPECT_TRUE(update({}).empty());
  EXPECT_TRUE(update({}).empty());
  EXPECT_TRUE(update({port_pin(100)}).empty());
  EXPECT_TRUE(gaps.empty());
  // Once its next capture ran, it covers nothing any more.
  update({});
  EXPECT_EQ(1u, gaps.size());

  Coverage other;
  std::vector<Gap> other_gaps;
  other.update({port_pin(100)}, the_vm(), "", t, other_gaps);
  other.ended(kNic, "connection lost", t, /*still_recording=*/true);
  other.update({}, /*vms=*/{}, "", t, other_gaps);  // the VM left the watch
  EXPECT_EQ(1u, other_gaps.size());
}

TEST_F(CoverageTest, UplinkCapturesCoverNoNic) {
  Pin uplink;
  uplink.kind = PinKind::Uplink;
  uplink.uplink = "vmnic0";
  update({uplink});
  EXPECT_TRUE(update({}).empty());
  EXPECT_TRUE(gaps.empty());
}

}  // namespace
}  // namespace vmc::orchestrator
