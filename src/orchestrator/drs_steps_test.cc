#include "orchestrator/drs_steps.h"

#include <gtest/gtest.h>

#include "orchestrator/fakes_test_support.h"

namespace vmc::orchestrator {
namespace {

using model::MoRef;

class DrsStepsTest : public ::testing::Test {
 protected:
  fakes::FakeWorld world;
  fakes::Log log;
  fakes::FakeClock clock;
  fakes::FakeVCenter vcenter{world, clock, log};
  const MoRef c1{"ClusterComputeResource", "c1"};
  const MoRef vm{"VirtualMachine", "vm-1"};
  const model::DrsVmOverride manual = session_override(vm, "manual");
};

TEST_F(DrsStepsTest, RemovesOnlyWhatWeAddedAndOnlyOnce) {
  world.overrides[{"c1", "vm-1"}] = manual;
  auto first = restore_override(vcenter, c1, vm, std::nullopt, manual);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ("DRS override of vm-1 in c1 removed (there was none before)", first.value());
  auto second = restore_override(vcenter, c1, vm, std::nullopt, manual);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ("DRS override of vm-1 in c1 already none", second.value());
  EXPECT_EQ(std::vector<std::string>({"drs remove c1 vm-1"}), log);
}

TEST_F(DrsStepsTest, EditsBackAPreviousOverride) {
  model::DrsVmOverride before{vm, true, "partiallyAutomated"};
  world.overrides[{"c1", "vm-1"}] = manual;
  auto r = restore_override(vcenter, c1, vm, before, manual);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(std::vector<std::string>({"drs set c1 vm-1 partiallyAutomated"}), log);
  EXPECT_EQ("partiallyAutomated", (world.overrides[{"c1", "vm-1"}].behavior));
  EXPECT_EQ(true, (world.overrides[{"c1", "vm-1"}].enabled));
}

TEST_F(DrsStepsTest, AnOverrideRemovedByOthersIsLeftAlone) {
  auto r = restore_override(vcenter, c1, vm, model::DrsVmOverride{vm, true, "fullyAutomated"}, manual);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ("DRS override of vm-1 in c1 is none, changed since we set 'manual'; left as it is", r.value());
  EXPECT_TRUE(log.empty());
}

}  // namespace
}  // namespace vmc::orchestrator
