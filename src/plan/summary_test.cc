#include "plan/summary.h"

#include <gtest/gtest.h>

namespace vmc::plan {
namespace {

TEST(Describe, DefaultsSayWhatHappens) {
  model::SessionSpec s;
  s.name = "vm testvm1";
  s.source = "command line";
  s.policy = "default";
  s.vms = {{"testvm1", {}}};
  EXPECT_EQ(
      "  name:      vm testvm1 (command line, policy default)\n"
      "  vm:        testvm1 (all NICs)\n"
      "  direction: both\n"
      "  filter:    none (every frame)\n"
      "  stop:      on Ctrl-C\n"
      "  output:    <vm>-<start time>.pcapng\n"
      "  rotation:  off\n"
      "  drs:       manual override while capturing, restored after\n"
      "  bridge:    on (uplink capture by MAC while a port is unknown)\n",
      describe(s));
}

TEST(Describe, EverySettingShows) {
  model::SessionSpec s;
  s.name = "n";
  s.source = "p.yaml";
  s.policy = "long-run";
  s.vms = {{"testvm2", {"Network adapter 1"}}};
  s.uplinks = {{"esx01", {}, "lag1"}, {"esx03", {"vmnic0", "vmnic1"}, ""}};
  s.direction = model::Direction::In;
  s.capture_point = "VnicRx";
  s.filter.proto = 17;
  s.filter.dstport = 67;
  s.stop.duration = std::chrono::minutes(90);
  s.stop.boots = 3;
  s.output.path = "-";
  s.output.snaplen = 128;
  s.output.rotation.max_bytes = 500'000'000;
  s.output.rotation.ring = 20;
  s.output.on_host = true;
  s.output.datastore = "datastore1";
  s.drs = {false, ""};
  s.bridge.enabled = false;
  EXPECT_EQ(
      "  name:      n (p.yaml, policy long-run)\n"
      "  vm:        testvm2 (NICs: Network adapter 1)\n"
      "  uplinks:   esx01 LAG lag1 (every member)\n"
      "  uplinks:   esx03 vmnic0, vmnic1\n"
      "  direction: in, capture point VnicRx\n"
      "  filter:    proto=0x11 (udp) and dstport=67\n"
      "  stop:      after 1h30m, or after 3 boot(s), or on Ctrl-C\n"
      "  output:    stdout (pcapng), first 128 bytes of each frame\n"
      "  rotation:  every 500MB, keeping the newest 20 files\n"
      "  on host:   datastore1, fetched as each capture stops\n"
      "  drs:       left alone\n"
      "  bridge:    off\n",
      describe(s));
}

}  // namespace
}  // namespace vmc::plan

namespace vmc::plan {
namespace {

TEST(Describe, UplinkOnlyPlansSayDrsAndBridgeHaveNothingToDo) {
  model::SessionSpec s;
  s.uplinks = {{"esx01", {}, "lag1"}};
  std::string d = describe(s);
  EXPECT_NE(std::string::npos, d.find("  drs:       manual (no VM targets: nothing to override)\n")) << d;
  EXPECT_NE(std::string::npos, d.find("  bridge:    on (no VM targets: nothing to bridge)\n")) << d;
}

}  // namespace
}  // namespace vmc::plan
