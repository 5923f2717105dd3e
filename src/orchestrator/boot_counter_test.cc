#include "orchestrator/boot_counter.h"

#include <gtest/gtest.h>

namespace vmc::orchestrator {
namespace {

using namespace std::chrono_literals;
using model::VmEventKind;

model::VmEvent ev(VmEventKind k, model::TimePoint at, const std::string& vm = "vm-1") {
  model::VmEvent e;
  e.kind = k;
  e.vm = model::MoRef{"VirtualMachine", vm};
  e.at = at;
  return e;
}

TEST(BootCounter, ResetAndPowerOnOfOneBootCountOnce) {
  BootCounter c(5s);
  model::TimePoint t{};
  EXPECT_TRUE(c.on_event(ev(VmEventKind::Reset, t)));
  EXPECT_FALSE(c.on_event(ev(VmEventKind::PoweredOn, t + 1s)));
  EXPECT_FALSE(c.on_event(ev(VmEventKind::GuestRebooted, t + 20s)));
  EXPECT_FALSE(c.on_event(ev(VmEventKind::PoweredOff, t + 30s)));
  EXPECT_TRUE(c.on_event(ev(VmEventKind::PoweredOn, t + 31s)));
  EXPECT_TRUE(c.on_event(ev(VmEventKind::PoweredOn, t + 31s, "vm-2")));
  EXPECT_EQ(3, c.total());
}

TEST(BootCounter, BootTimeChangeCountsWhenNoEventDid) {
  BootCounter c(5s);
  model::VmInfo vm;
  vm.ref = model::MoRef{"VirtualMachine", "vm-1"};
  vm.boot_time = model::TimePoint{} + 1h;
  EXPECT_FALSE(c.on_observed(vm));  // the boot before the session
  EXPECT_FALSE(c.on_observed(vm));
  vm.boot_time = model::TimePoint{} + 2h;
  EXPECT_TRUE(c.on_observed(vm));  // missed event, seen by level
  EXPECT_FALSE(c.on_event(ev(VmEventKind::PoweredOn, *vm.boot_time + 2s)));  // same boot
  EXPECT_EQ(1, c.total());
}

}  // namespace
}  // namespace vmc::orchestrator
