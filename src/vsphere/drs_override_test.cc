#include "vsphere/drs_override.h"

#include <gtest/gtest.h>

#include <map>

namespace vmc::vsphere {
namespace {

const model::MoRef kCluster{"ClusterComputeResource", "domain-c8"};
const model::MoRef kVm{"VirtualMachine", "vm-42"};

// A cluster that applies specs the way vCenter does and records them.
class FakeCluster : public ClusterDrsApi {
 public:
  Result<model::ClusterInfo> read_cluster(const model::MoRef&) override {
    if (read_error) return *read_error;
    model::ClusterInfo c = info;
    for (const auto& [vm, o] : overrides) c.overrides.push_back(o);
    return c;
  }
  Status apply(const model::MoRef&, const std::string& op, const model::DrsVmOverride& o) override {
    applied.push_back(op + " " + o.vm.value + " " + o.behavior);
    if (apply_error) return *apply_error;
    if (op == "remove") {
      if (!overrides.erase(o.vm.value)) return Error("InvalidArgument", "no such override");
    } else if (op == "add") {
      if (overrides.count(o.vm.value)) return Error("InvalidArgument", "exists");
      overrides[o.vm.value] = o;
    } else {
      overrides[o.vm.value] = o;
    }
    return {};
  }
  model::ClusterInfo info{kCluster, "cluster1", true, "fullyAutomated", true, {}, {}};
  std::map<std::string, model::DrsVmOverride> overrides;
  std::vector<std::string> applied;
  std::optional<Error> read_error, apply_error;
};

struct Fixture {
  FakeCluster cluster;
  std::vector<DrsStep> journal;
  DrsOverride drs{cluster, [this](const DrsStep& s) { journal.push_back(s); }};
  std::vector<std::string> phases() const {
    std::vector<std::string> p;
    for (const auto& s : journal) p.push_back(s.phase + ":" + s.operation);
    return p;
  }
};

TEST(DrsOverride, NoneBeforeManualDuringNoneAfter) {
  Fixture f;
  auto saved = f.drs.set(kCluster, kVm, "manual");
  ASSERT_TRUE(saved.ok()) << saved.error().message;
  EXPECT_TRUE(saved->changed);
  EXPECT_FALSE(saved->prior);
  EXPECT_EQ(f.cluster.overrides.at("vm-42"), (model::DrsVmOverride{kVm, true, "manual"}));
  ASSERT_TRUE(f.drs.restore(*saved).ok());
  EXPECT_TRUE(f.cluster.overrides.empty());
  EXPECT_EQ(f.cluster.applied, (std::vector<std::string>{"add vm-42 manual", "remove vm-42 "}));
  EXPECT_EQ(f.phases(), (std::vector<std::string>{"set:add", "set-done:add", "restore:remove",
                                                  "restore-done:remove"}));
  // Restoring again (say, from the journal after a crash) changes nothing.
  ASSERT_TRUE(f.drs.restore(*saved).ok());
  EXPECT_EQ(f.cluster.applied.size(), 2u);
}

TEST(DrsOverride, ExistingOverrideIsEditedBackExactly) {
  Fixture f;
  const model::DrsVmOverride prior{kVm, std::nullopt, "fullyAutomated"};
  f.cluster.overrides["vm-42"] = prior;
  auto saved = f.drs.set(kCluster, kVm, "manual");
  ASSERT_TRUE(saved.ok());
  EXPECT_EQ(saved->prior, prior);
  EXPECT_EQ(f.cluster.overrides.at("vm-42").behavior, "manual");
  ASSERT_TRUE(f.drs.restore(*saved).ok());
  EXPECT_EQ(f.cluster.overrides.at("vm-42"), prior);
  EXPECT_EQ(f.cluster.applied,
            (std::vector<std::string>{"edit vm-42 manual", "edit vm-42 fullyAutomated"}));
  EXPECT_EQ(to_string(*saved), "domain-c8 vm-42: fullyAutomated -> manual");
}

TEST(DrsOverride, AlreadyManualIsLeftAlone) {
  Fixture f;
  f.cluster.overrides["vm-42"] = {kVm, true, "manual"};
  auto saved = f.drs.set(kCluster, kVm, "manual");
  ASSERT_TRUE(saved.ok());
  EXPECT_FALSE(saved->changed);
  ASSERT_TRUE(f.drs.restore(*saved).ok());
  EXPECT_TRUE(f.cluster.applied.empty());
  EXPECT_EQ(f.cluster.overrides.at("vm-42").behavior, "manual");
}

TEST(DrsOverride, SomeoneElsesChangeDuringTheCaptureIsKept) {
  Fixture f;
  auto saved = f.drs.set(kCluster, kVm, "manual");
  ASSERT_TRUE(saved.ok());
  f.cluster.overrides["vm-42"].behavior = "partiallyAutomated";  // an admin's edit
  ASSERT_TRUE(f.drs.restore(*saved).ok());
  EXPECT_EQ(f.cluster.overrides.at("vm-42").behavior, "partiallyAutomated");
  EXPECT_EQ(f.journal.back().phase, "skip");
}

TEST(DrsOverride, PriorRemovedMeanwhileIsAddedBack) {
  Fixture f;
  f.cluster.overrides["vm-42"] = {kVm, false, "fullyAutomated"};
  auto saved = f.drs.set(kCluster, kVm, "manual");
  ASSERT_TRUE(saved.ok());
  f.cluster.overrides.clear();
  ASSERT_TRUE(f.drs.restore(*saved).ok());
  EXPECT_EQ(f.cluster.overrides.at("vm-42"), (model::DrsVmOverride{kVm, false, "fullyAutomated"}));
}

TEST(DrsOverride, ClearErrorsForDisabledOverridesAndMissingPrivilege) {
  Fixture f;
  f.cluster.info.vm_overrides_enabled = false;
  auto off = f.drs.set(kCluster, kVm, "manual");
  ASSERT_FALSE(off.ok());
  EXPECT_EQ(off.error().code, "drs.overrides-disabled");
  EXPECT_NE(off.error().message.find("enableVmBehaviorOverrides"), std::string::npos);
  EXPECT_TRUE(f.cluster.applied.empty());

  f.cluster.info.vm_overrides_enabled = true;
  // As SoapBinding raises it (fault_kind: Refused).
  f.cluster.apply_error =
      Error("NoPermission", "Permission to perform this operation was denied.", ErrorKind::Refused);
  auto denied = f.drs.set(kCluster, kVm, "manual");
  ASSERT_FALSE(denied.ok());
  EXPECT_EQ(denied.error().code, "drs.no-permission");
  EXPECT_NE(denied.error().message.find("Host.Inventory.EditCluster"), std::string::npos);
}

TEST(DrsOverride, DrsOffNeedsNoOverride) {
  Fixture f;
  f.cluster.info.drs_enabled = false;
  auto saved = f.drs.set(kCluster, kVm, "manual");
  ASSERT_TRUE(saved.ok());
  EXPECT_FALSE(saved->changed);
  EXPECT_TRUE(f.cluster.applied.empty());
}

}  // namespace
}  // namespace vmc::vsphere
