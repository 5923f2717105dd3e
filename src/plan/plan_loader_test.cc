#include "plan/plan_loader.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "plan/testing_dump.h"
#include "plan/testing_files.h"

namespace vmc::plan {
namespace {

namespace fs = std::filesystem;
using testing::dump;
using testing::MemoryFiles;
using testing::RootedFiles;

const fs::path kSource = VMC_SOURCE_DIR;
const fs::path kTestdata = kSource / "src/plan/testdata";

std::string read_text(const fs::path& p) {
  std::ifstream in(p);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<fs::path> yaml_files(const fs::path& dir) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() == ".yaml") out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// --- The error corpus: testdata/bad/NAME.yaml must produce exactly the lines of NAME.expected.

TEST(PlanCorpus, EveryBadPlanGetsExactlyItsExpectedMessages) {
  RootedFiles files(kTestdata);
  LoadOptions options;
  options.files = &files;
  options.policy_dirs = {"policies"};
  auto plans = yaml_files(kTestdata / "bad");
  ASSERT_GE(plans.size(), 25u) << "the corpus went missing";
  for (const auto& p : plans) {
    std::string rel = "bad/" + p.filename().string();
    fs::path expected_file = p;
    expected_file.replace_extension(".expected");
    ASSERT_TRUE(fs::exists(expected_file)) << rel << " has no .expected file beside it";
    LoadResult r = load_plan_file(rel, options);
    EXPECT_FALSE(r.spec.has_value()) << rel << " loaded although it is in the error corpus";
    EXPECT_EQ(read_text(expected_file), r.diagnostics.str()) << "for " << rel;
    for (const auto& d : r.diagnostics.items()) {
      EXPECT_FALSE(d.code.empty()) << d.str();
      EXPECT_GT(d.where.line, 0) << "no position in: " << d.str();
    }
  }
}

// --- Shipped files: every example and policy loads.

TEST(ShippedFiles, EveryExamplePlanLoads) {
  LoadOptions options;
  options.policy_dirs = {kSource / "policies"};
  auto plans = yaml_files(kSource / "examples");
  ASSERT_GE(plans.size(), 3u);
  for (const auto& p : plans) {
    LoadResult r = load_plan_file(p, options);
    EXPECT_TRUE(r.spec.has_value()) << p << ":\n" << r.diagnostics.str();
  }
}

TEST(ShippedFiles, EveryPolicyLoads) {
  LoadOptions options;
  auto policies = yaml_files(kSource / "policies");
  ASSERT_GE(policies.size(), 4u);
  for (const auto& p : policies) {
    LoadResult r = load_policy_file(p, options);
    EXPECT_TRUE(r.spec.has_value()) << p << ":\n" << r.diagnostics.str();
  }
}

TEST(ShippedFiles, DefaultPolicyEqualsTheBuiltInDefaults) {
  LoadResult r = load_policy_file(kSource / "policies/default.yaml", LoadOptions{});
  ASSERT_TRUE(r.spec) << r.diagnostics.str();
  model::SessionSpec builtin;
  builtin.name = builtin.policy = "default";
  builtin.source = (kSource / "policies/default.yaml").string();
  EXPECT_EQ(dump(builtin), dump(*r.spec));
}

TEST(ShippedFiles, DefaultPolicyDirsEndWithTheShippedOnes) {
  auto dirs = default_policy_dirs("/a:/b::", "/home/u");
  std::vector<fs::path> want{"/a", "/b", "/home/u/.config/vm-capture/policies", kSource / "policies"};
  EXPECT_EQ(want, dirs);
  EXPECT_EQ(std::vector<fs::path>{kSource / "policies"}, default_policy_dirs(nullptr, nullptr));
}

TEST(ShippedFiles, EveryYamlBlockInTheSchemaDocumentLoads) {
  std::string doc = read_text(kSource / "policies/README.md");
  LoadOptions options;
  options.policy_dirs = {kSource / "policies"};
  size_t blocks = 0;
  for (size_t pos = doc.find("```yaml\n"); pos != std::string::npos; pos = doc.find("```yaml\n", pos)) {
    pos += 8;
    size_t end = doc.find("```", pos);
    ASSERT_NE(std::string::npos, end);
    auto r = load_plan_text(doc.substr(pos, end - pos), (kSource / "policies/README.md").string(), options);
    EXPECT_TRUE(r.spec) << doc.substr(pos, end - pos) << r.diagnostics.str();
    ++blocks;
    pos = end;
  }
  EXPECT_GE(blocks, 1u);
}

// --- Good plans load to the expected spec.

class GoodPlans : public ::testing::Test {
 protected:
  LoadResult load(const std::string& text, const std::string& name = "plans/p.yaml") {
    LoadOptions o;
    o.files = &files_;
    o.policy_dirs = {"pol"};
    return load_plan_text(text, name, o);
  }
  // The spec a plan without policy gets, with the name/source of plans/p.yaml.
  static model::SessionSpec base() {
    model::SessionSpec s;
    s.name = "p";
    s.source = "plans/p.yaml";
    s.policy = "builtin";
    return s;
  }
  MemoryFiles files_;
};

TEST_F(GoodPlans, EveryKeyLandsInItsField) {
  auto r = load(R"(
name: full
description: every key once
targets:
  vms:
    - testvm1
    - vm: testvm2
      nics: ["Network adapter 1", 00-50-56-AA-BB-CC]
    - path: /dc1/vm/team-a/app
    - moref: VirtualMachine:vm-42
    - mac: 00:50:56:80:00:01
  uplinks:
    - host: esx01
      lag: lag1
    - host: esx03
      vmnics: [vmnic0, vmnic1]
capture:
  direction: in
  point: VnicRx
  filter:
    srcmac: 00:50:56:80:00:01
    dstip: 10.0.0.0/24
    vlan: 0
    proto: udp
    dstport: 67
stop:
  duration: 1h30m
  packets: 1000
  size: 2GiB
  boots: 3
output:
  path: out.pcapng
  snaplen: 128
  rotation:
    size: 1.5GB
    time: 10m
    packets: 500
    ring: 4
drs: partiallyAutomated
bridge: off
)");
  ASSERT_TRUE(r.spec) << r.diagnostics.str();
  model::SessionSpec want = base();
  want.name = "full";
  want.vms = {{"testvm1", {}},
              {"testvm2", {"Network adapter 1", "00:50:56:aa:bb:cc"}},
              {"/dc1/vm/team-a/app", {}},
              {"vm-42", {}},
              {"00:50:56:80:00:01", {}}};
  want.uplinks = {{"esx01", {}, "lag1"}, {"esx03", {"vmnic0", "vmnic1"}, ""}};
  want.direction = model::Direction::In;
  want.capture_point = "VnicRx";
  want.filter.srcmac = "00:50:56:80:00:01";
  want.filter.dstip = "10.0.0.0/24";
  want.filter.vlan = 0;
  want.filter.proto = 17;
  want.filter.dstport = 67;
  want.stop.duration = std::chrono::minutes(90);
  want.stop.packets = 1000;
  want.stop.bytes = 2ULL << 30;
  want.stop.boots = 3;
  want.output.path = "out.pcapng";
  want.output.snaplen = 128;
  want.output.rotation.max_bytes = 1'500'000'000;
  want.output.rotation.max_age = std::chrono::minutes(10);
  want.output.rotation.max_packets = 500;
  want.output.rotation.ring = 4;
  want.drs = {true, "partiallyAutomated"};
  want.bridge.enabled = false;
  EXPECT_EQ(dump(want), dump(*r.spec));
}

// On-host output cannot count packets or size while it runs (spec_checks), so its keys
// land apart from the full plan above.
TEST_F(GoodPlans, OnHostKeysLandInTheirFields) {
  auto r = load(R"(
targets: {vms: [testvm1]}
stop: {duration: 8h, boots: 2}
output:
  path: out.pcapng
  on_host:
    datastore: datastore1
)");
  ASSERT_TRUE(r.spec) << r.diagnostics.str();
  model::SessionSpec want = base();
  want.vms = {{"testvm1", {}}};
  want.stop.duration = std::chrono::hours(8);
  want.stop.boots = 2;
  want.output.path = "out.pcapng";
  want.output.on_host = true;
  want.output.datastore = "datastore1";
  EXPECT_EQ(dump(want), dump(*r.spec));
}

TEST_F(GoodPlans, MinimalPlanGetsEveryDefault) {
  auto r = load("targets: {vms: testvm1}\n");
  ASSERT_TRUE(r.spec) << r.diagnostics.str();
  model::SessionSpec want = base();
  want.vms = {{"testvm1", {}}};
  EXPECT_EQ(dump(want), dump(*r.spec));
}

TEST_F(GoodPlans, PlanOverridesPolicyKeyByKeyAndReplacesFilterAndRotation) {
  files_.files["pol/base.yaml"] = R"(
capture:
  direction: out
  stage: pre
  filter: {proto: udp, vlan: 10}
stop: {duration: 5m, size: 1GB}
output:
  snaplen: 64
  rotation: {size: 100MB, ring: 3}
drs: none
)";
  auto r = load(R"(
policy: base
targets: {vms: [testvm1]}
capture:
  filter: {ethtype: arp}
stop: {packets: 10, size: none}
output:
  rotation: {time: 1h}
)");
  ASSERT_TRUE(r.spec) << r.diagnostics.str();
  model::SessionSpec want = base();
  want.policy = "base";
  want.vms = {{"testvm1", {}}};
  want.direction = model::Direction::Out;                 // from the policy
  want.stage = 0;                                         // from the policy
  want.filter.ethtype = 0x0806;                           // replaced, not ANDed with udp/vlan 10
  want.stop.duration = std::chrono::minutes(5);           // from the policy
  want.stop.packets = 10;                                 // from the plan
  want.output.snaplen = 64;                               // from the policy
  want.output.rotation.max_age = std::chrono::hours(1);   // rotation replaced: no size, no ring
  want.drs = {false, ""};
  EXPECT_EQ(dump(want), dump(*r.spec));
}

TEST_F(GoodPlans, DefaultPolicyIsUsedWhenPresent) {
  files_.files["pol/default.yaml"] = "drs: fullyAutomated\n";
  auto r = load("targets: {vms: [testvm1]}\n");
  ASSERT_TRUE(r.spec) << r.diagnostics.str();
  EXPECT_EQ("default", r.spec->policy);
  EXPECT_EQ("fullyAutomated", r.spec->drs.behavior);
}

TEST_F(GoodPlans, PolicyPathIsRelativeToThePlan) {
  files_.files["plans/mine/p.yaml"] = "bridge: off\n";
  auto r = load("policy: mine/p.yaml\ntargets: {vms: [testvm1]}\n");
  ASSERT_TRUE(r.spec) << r.diagnostics.str();
  EXPECT_EQ("mine/p.yaml", r.spec->policy);
  EXPECT_FALSE(r.spec->bridge.enabled);
}

TEST_F(GoodPlans, ShortFormsAndSwitches) {
  files_.files["pol/tmp.yaml"] = "output: {on_host: {datastore: /tmp/x, force_tmp: true}}\n";
  auto r = load(R"(
policy: tmp
targets:
  vms:
    - vm: 00:50:56:AA:BB:CC
      nics: Network adapter 2
output: {on_host: off, snaplen: 0}
drs: {behavior: manual}
bridge: yes
capture: {stage: post, direction: BOTH}
)");
  ASSERT_TRUE(r.spec) << r.diagnostics.str();
  model::SessionSpec want = base();
  want.policy = "tmp";
  want.vms = {{"00:50:56:aa:bb:cc", {"Network adapter 2"}}};
  want.stage = 1;
  EXPECT_EQ(dump(want), dump(*r.spec));
}

TEST_F(GoodPlans, NameDefaultsToTheFileStem) {
  auto r = load("targets: {vms: [testvm1]}\n", "some/dir/dhcp-check.yaml");
  ASSERT_TRUE(r.spec) << r.diagnostics.str();
  EXPECT_EQ("dhcp-check", r.spec->name);
  EXPECT_EQ("some/dir/dhcp-check.yaml", r.spec->source);
}

// --- Error reporting details not covered by the corpus.

TEST_F(GoodPlans, AllErrorsAreCollectedNotJustTheFirst) {
  auto r = load("targets: {vms: [testvm1]}\nstop: {duration: x, size: y, boots: z}\ncapture: {direction: up}\n");
  EXPECT_FALSE(r.spec);
  ASSERT_EQ(4u, r.diagnostics.size()) << r.diagnostics.str();
  EXPECT_EQ(2, r.diagnostics.items()[0].where.line);
  EXPECT_EQ(3, r.diagnostics.items()[3].where.line);
}

TEST_F(GoodPlans, MissingFileIsReportedWithItsPath) {
  LoadOptions o;
  o.files = &files_;
  auto r = load_plan_file("nowhere/plan.yaml", o);
  ASSERT_EQ(1u, r.diagnostics.size());
  EXPECT_EQ("plan.file", r.diagnostics.items()[0].code);
  EXPECT_NE(std::string::npos, r.diagnostics.str().find("nowhere/plan.yaml")) << r.diagnostics.str();
}

TEST(DiskFilesTest, RefusesFilesOverOneMebibyte) {
  fs::path p = fs::temp_directory_path() / ("vmc_plan_big_" + std::to_string(::getpid()) + ".yaml");
  {
    std::ofstream out(p);
    out << "# " << std::string((1 << 20) + 10, 'x') << "\n";
  }
  auto r = DiskFiles().read(p);
  fs::remove(p);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(std::string::npos, r.error().message.find("1 MiB")) << r.error().message;
}

TEST(DiskFilesTest, ListsOnlyYamlFilesSorted) {
  auto names = DiskFiles().list_yaml(kTestdata / "policies");
  EXPECT_EQ((std::vector<std::string>{"broken.yaml", "has-targets.yaml", "long-run.yaml"}), names);
  EXPECT_TRUE(DiskFiles().list_yaml(kTestdata / "no-such-dir").empty());
}

}  // namespace
}  // namespace vmc::plan
