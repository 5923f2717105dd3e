#include "plan/check.h"

#include <gtest/gtest.h>

#include <sstream>

namespace vmc::plan {
namespace {

namespace fs = std::filesystem;
const fs::path kSource = VMC_SOURCE_DIR;

std::vector<fs::path> yaml_in(const fs::path& dir) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() == ".yaml") out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

LoadOptions shipped() {
  LoadOptions o;
  o.policy_dirs = {kSource / "policies"};
  return o;
}

// What `capture plan check examples/*.yaml policies/*.yaml` does.
TEST(CheckFiles, ShippedExamplesAndPoliciesPass) {
  auto files = yaml_in(kSource / "examples");
  auto policies = yaml_in(kSource / "policies");
  files.insert(files.end(), policies.begin(), policies.end());
  ASSERT_GE(files.size(), 7u);
  std::ostringstream out, err;
  EXPECT_EQ(0, check_files(files, shipped(), out, err)) << err.str();
  EXPECT_EQ("", err.str());
  for (const auto& f : files) {
    EXPECT_NE(std::string::npos, out.str().find(f.string() + ": OK")) << f;
  }
  EXPECT_NE(std::string::npos, out.str().find((kSource / "policies/default.yaml").string() + ": OK (policy)"));
  EXPECT_NE(std::string::npos, out.str().find("esx01 LAG lag1 (every member)")) << out.str();
}

TEST(CheckFiles, ABadFileFailsAndPrintsEveryProblem) {
  fs::path bad = kSource / "src/plan/testdata/bad/bad-values.yaml";
  fs::path good = kSource / "examples/two-vms.yaml";
  std::ostringstream out, err;
  EXPECT_EQ(1, check_files({good, bad}, shipped(), out, err));
  EXPECT_NE(std::string::npos, out.str().find(good.string() + ": OK")) << out.str();
  EXPECT_NE(std::string::npos, err.str().find(bad.string() + ":5:14: 'capture.direction'")) << err.str();
  EXPECT_NE(std::string::npos, err.str().find(bad.string() + ": 17 problems")) << err.str();
}

TEST(CheckFiles, KindCanBeForced) {
  fs::path policy = kSource / "src/plan/testdata/policies/long-run.yaml";
  std::ostringstream out, err;
  EXPECT_EQ(0, check_files({policy}, shipped(), out, err, FileKind::Policy)) << err.str();
  std::ostringstream out2, err2;
  EXPECT_EQ(1, check_files({policy}, shipped(), out2, err2, FileKind::Plan));
  EXPECT_NE(std::string::npos, err2.str().find("the plan has no targets")) << err2.str();
}

TEST(CheckFiles, MissingFileFails) {
  std::ostringstream out, err;
  EXPECT_EQ(1, check_files({"/nonexistent/plan.yaml"}, shipped(), out, err));
  EXPECT_NE(std::string::npos, err.str().find("/nonexistent/plan.yaml: cannot read")) << err.str();
}

}  // namespace
}  // namespace vmc::plan
