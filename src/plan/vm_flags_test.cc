#include "plan/vm_flags.h"

#include <gtest/gtest.h>

#include "plan/testing_dump.h"
#include "plan/testing_files.h"

namespace vmc::plan {
namespace {

using testing::dump;
using testing::MemoryFiles;

class VmFlagsTest : public ::testing::Test {
 protected:
  LoadOptions options() {
    LoadOptions o;
    o.files = &files_;
    o.policy_dirs = {"pol"};
    return o;
  }
  LoadResult from_plan(const std::string& text) { return load_plan_text(text, "p.yaml", options()); }
  LoadResult from_flags(const VmFlags& f) { return spec_from_flags(f, options()); }
  // Compares two specs apart from where they came from.
  static std::string comparable(model::SessionSpec s) {
    s.name = s.source = "";
    return dump(s);
  }
  MemoryFiles files_;
};

TEST_F(VmFlagsTest, FlagsAndTheEquivalentPlanGiveTheSameSpec) {
  files_.files["pol/long.yaml"] = "output: {rotation: {size: 500MB, ring: 20}}\ndrs: none\n";
  VmFlags f;
  f.vm = "testvm1";
  f.nics = {"Network adapter 1", "00-50-56-AA-00-01"};
  f.policy = "long";
  f.dir = "in";
  f.filters = {"proto=udp,dstport=67", "vlan=0"};
  f.capture_point = "VnicRx";
  f.duration = "1h30m";
  f.packets = "1000";
  f.size = "2GiB";
  f.boots = "3";
  f.output = "out.pcapng";
  f.snaplen = "128";
  f.drs = "partiallyAutomated";
  f.bridge = "off";
  auto flags = from_flags(f);
  ASSERT_TRUE(flags.spec) << flags.diagnostics.str();
  auto plan = from_plan(R"(
policy: long
targets:
  vms:
    - vm: testvm1
      nics: ["Network adapter 1", "00-50-56-AA-00-01"]
capture:
  direction: in
  point: VnicRx
  filter: {proto: udp, dstport: 67, vlan: 0}
stop: {duration: 1h30m, packets: 1000, size: 2GiB, boots: 3}
output:
  path: out.pcapng
  snaplen: 128
drs: partiallyAutomated
bridge: off
)");
  ASSERT_TRUE(plan.spec) << plan.diagnostics.str();
  EXPECT_EQ(comparable(*plan.spec), comparable(*flags.spec));
  EXPECT_EQ("vm testvm1", flags.spec->name);
  EXPECT_EQ("command line", flags.spec->source);
  EXPECT_EQ(uint64_t{500'000'000}, flags.spec->output.rotation.max_bytes.value_or(0)) << "policy rotation kept";
}

TEST_F(VmFlagsTest, OnHostFlagLikeThePlanAndItsStopConflictsNameTheFlags) {
  VmFlags f;
  f.vm = "testvm1";
  f.duration = "1h";
  f.on_host = "datastore1";
  auto flags = from_flags(f);
  ASSERT_TRUE(flags.spec) << flags.diagnostics.str();
  auto plan = from_plan(
      "targets: {vms: [testvm1]}\nstop: {duration: 1h}\noutput: {on_host: {datastore: datastore1}}\n");
  ASSERT_TRUE(plan.spec) << plan.diagnostics.str();
  EXPECT_EQ(comparable(*plan.spec), comparable(*flags.spec));
  f.packets = "1000";
  f.size = "2GiB";
  auto r = from_flags(f);
  ASSERT_FALSE(r.spec);
  std::vector<std::string> where;
  for (const auto& d : r.diagnostics.items()) where.push_back(d.where.str());
  EXPECT_EQ((std::vector<std::string>{"--packets", "--size"}), where) << r.diagnostics.str();
}

TEST_F(VmFlagsTest, RotationFlagsReplaceThePolicyRotationLikeAPlanDoes) {
  files_.files["pol/long.yaml"] = "output: {rotation: {size: 500MB, ring: 20}}\n";
  VmFlags f;
  f.vm = "testvm1";
  f.policy = "long";
  f.rotate_time = "10m";
  auto flags = from_flags(f);
  ASSERT_TRUE(flags.spec) << flags.diagnostics.str();
  auto plan = from_plan("policy: long\ntargets: {vms: [testvm1]}\noutput: {rotation: {time: 10m}}\n");
  ASSERT_TRUE(plan.spec) << plan.diagnostics.str();
  EXPECT_EQ(comparable(*plan.spec), comparable(*flags.spec));
}

TEST_F(VmFlagsTest, SameBadValueSameMessageInBothPaths) {
  struct Case {
    const char* plan_key;  // YAML under the plan, with %s for the value
    void (*set)(VmFlags&, const std::string&);
    const char* flag;
    const char* value;
  } cases[] = {
      {"stop: {duration: %s}", [](VmFlags& f, const std::string& v) { f.duration = v; }, "--duration", "5x"},
      {"stop: {size: %s}", [](VmFlags& f, const std::string& v) { f.size = v; }, "--size", "12 parsecs"},
      {"stop: {packets: %s}", [](VmFlags& f, const std::string& v) { f.packets = v; }, "--packets", "lots"},
      {"stop: {boots: %s}", [](VmFlags& f, const std::string& v) { f.boots = v; }, "--boots", "0"},
      {"capture: {direction: %s}", [](VmFlags& f, const std::string& v) { f.dir = v; }, "--dir", "sideways"},
      {"capture: {filter: {vlan: %s}}", [](VmFlags& f, const std::string& v) { f.filters = {"vlan=" + v}; }, "--filter",
       "5000"},
      {"output: {snaplen: %s}", [](VmFlags& f, const std::string& v) { f.snaplen = v; }, "--snaplen", "10"},
      {"drs: %s", [](VmFlags& f, const std::string& v) { f.drs = v; }, "--drs", "manuel"},
  };
  for (const auto& c : cases) {
    std::string yaml = c.plan_key;
    yaml.replace(yaml.find("%s"), 2, std::string("'") + c.value + "'");
    auto plan = from_plan("targets: {vms: [testvm1]}\n" + yaml + "\n");
    VmFlags f;
    f.vm = "testvm1";
    c.set(f, c.value);
    auto flags = from_flags(f);
    ASSERT_EQ(1u, plan.diagnostics.size()) << c.flag << "\n" << plan.diagnostics.str();
    ASSERT_EQ(1u, flags.diagnostics.size()) << c.flag << "\n" << flags.diagnostics.str();
    const auto& fd = flags.diagnostics.items()[0];
    EXPECT_EQ(c.flag, fd.where.file);
    // The plan message is "'field': <reason>", the flag message "<reason>" (or "key: <reason>").
    std::string plan_reason = plan.diagnostics.items()[0].message;
    plan_reason = plan_reason.substr(plan_reason.find("': ") + 3);
    EXPECT_NE(std::string::npos, fd.message.find(plan_reason)) << fd.message << "\nvs\n" << plan_reason;
    EXPECT_EQ(plan.diagnostics.items()[0].code, fd.code);
  }
}

TEST_F(VmFlagsTest, ConflictsNameTheFlags) {
  VmFlags f;
  f.vm = "testvm1";
  f.output = "-";
  f.on_host = "datastore1";
  f.ring = "3";
  f.filters = {"proto=udp", "tcpport=80"};
  auto r = from_flags(f);
  ASSERT_FALSE(r.spec);
  std::vector<std::string> where;
  for (const auto& d : r.diagnostics.items()) where.push_back(d.where.str());
  EXPECT_EQ((std::vector<std::string>{"--filter tcpport", "--on-host", "--ring"}), where) << r.diagnostics.str();
}

TEST_F(VmFlagsTest, MacNameAndMissingVm) {
  VmFlags f;
  f.vm = "00:50:56:AA:BB:CC";
  auto r = from_flags(f);
  ASSERT_TRUE(r.spec) << r.diagnostics.str();
  EXPECT_EQ("00:50:56:aa:bb:cc", r.spec->vms.at(0).vm);
  auto none = from_flags(VmFlags{});
  ASSERT_FALSE(none.spec);
  EXPECT_EQ("NAME", none.diagnostics.items().at(0).where.str());
}

TEST_F(VmFlagsTest, UnknownPolicyAndRcfWithCommas) {
  VmFlags f;
  f.vm = "testvm1";
  f.policy = "nope";
  auto r = from_flags(f);
  ASSERT_FALSE(r.spec);
  EXPECT_EQ("--policy", r.diagnostics.items().at(0).where.str());

  VmFlags g;
  g.vm = "testvm1";
  g.filters = {"rcf=udp port 67 or udp port 68"};
  auto ok = from_flags(g);
  ASSERT_TRUE(ok.spec) << ok.diagnostics.str();
  EXPECT_EQ("udp port 67 or udp port 68", ok.spec->filter.rcf.value_or(""));
}

TEST(FlagForField, MapsFieldsAndParents) {
  EXPECT_EQ("--duration", flag_for_field("stop.duration"));
  EXPECT_EQ("--filter dstport", flag_for_field("capture.filter.dstport"));
  EXPECT_EQ("--on-host", flag_for_field("output.on_host.datastore"));
  EXPECT_EQ("NAME", flag_for_field("targets.vms[0]"));
  EXPECT_EQ("--nic", flag_for_field("targets.vms[0].nics"));
  EXPECT_EQ("command line", flag_for_field("nothing.like.this"));
}

}  // namespace
}  // namespace vmc::plan
