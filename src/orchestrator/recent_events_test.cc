#include "orchestrator/recent_events.h"

#include <gtest/gtest.h>

namespace vmc::orchestrator {
namespace {

using namespace std::chrono_literals;
using model::VmEventKind;

const model::MoRef kVm{"VirtualMachine", "vm-1"};

model::VmEvent at(VmEventKind kind, model::TimePoint t) {
  model::VmEvent e{};
  e.kind = kind, e.vm = kVm, e.at = t;
  return e;
}

TEST(RecentEvents, TheLastEventIsSaidOnce) {
  RecentEvents ev(15s);
  const auto t = model::TimePoint{} + 1000h;
  EXPECT_EQ("", ev.after(kVm));
  ev.noted(kVm, at(VmEventKind::Reset, t), "VmReset (event:VmResettingEvent)", t);
  EXPECT_EQ(" after VmReset (event:VmResettingEvent)", ev.after(kVm));
  ev.said(kVm);
  EXPECT_EQ("", ev.after(kVm));
}

TEST(RecentEvents, AnEventSettlesTheVmForTheSettleTime) {
  RecentEvents ev(15s);
  const auto t = model::TimePoint{} + 1000h;
  EXPECT_FALSE(ev.settling(kVm, t));
  ev.noted(kVm, at(VmEventKind::PoweredOff, t), "VmPoweredOff", t);
  EXPECT_TRUE(ev.settling(kVm, t + 14s));
  EXPECT_FALSE(ev.settling(kVm, t + 15s));
  ev.settle(kVm, t + 20s);
  EXPECT_TRUE(ev.settling(kVm, t + 21s));
}

TEST(RecentEvents, TheFirstTriggerOfABurstCountsWithinTheSettleTime) {
  RecentEvents ev(15s);
  const auto t = model::TimePoint{} + 1000h;
  ev.noted(kVm, at(VmEventKind::GuestRebooted, t), "", t);  // no trigger
  EXPECT_FALSE(ev.trigger(kVm, t));
  ev.noted(kVm, at(VmEventKind::Reset, t), "", t);
  ev.noted(kVm, at(VmEventKind::PoweredOn, t + 500ms), "", t + 500ms);  // same burst
  ASSERT_TRUE(ev.trigger(kVm, t + 1s));
  EXPECT_EQ(VmEventKind::Reset, ev.trigger(kVm, t + 1s)->kind);
  EXPECT_FALSE(ev.trigger(kVm, t + 16s));  // too old to have caused a re-pin now
  ev.noted(kVm, at(VmEventKind::Moved, t + 10s), "", t + 10s);  // a new burst replaces it
  EXPECT_EQ(VmEventKind::Moved, ev.trigger(kVm, t + 11s)->kind);
  ev.trigger_used(kVm);
  EXPECT_FALSE(ev.trigger(kVm, t + 11s));
  EXPECT_EQ(2000ms, ms_between(t, t + 2s));
  EXPECT_EQ(0ms, ms_between(t + 2s, t));
}

}  // namespace
}  // namespace vmc::orchestrator
