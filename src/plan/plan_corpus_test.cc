// The plan part of the bad-input corpus (issue 8): tests/corpus/plans/NAME.yaml must be
// refused with exactly the diagnostics of NAME.expected. These are the cases that
// src/plan/testdata/bad/ (read by plan_loader_test.cc) does not already hold: files
// that are not UTF-8 text, binary data, alias bombs, complex keys, numbers that overflow,
// a directory or an endless device where a file is expected.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "plan/plan_loader.h"
#include "plan/testing_files.h"

namespace vmc::plan {
namespace {

namespace fs = std::filesystem;

const fs::path kCorpus = fs::path(VMC_SOURCE_DIR) / "tests/corpus";

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<fs::path> cases() {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(kCorpus / "plans")) {
    if (e.path().extension() == ".yaml") out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST(PlanBadInputCorpus, EveryCaseGetsExactlyItsExpectedDiagnostics) {
  testing::RootedFiles files(kCorpus);
  LoadOptions options;
  options.files = &files;
  options.policy_dirs = {"plans/policies"};
  const auto plans = cases();
  ASSERT_GE(plans.size(), 12u) << "the corpus went missing";
  for (const auto& p : plans) {
    const std::string rel = "plans/" + p.filename().string();
    fs::path expected_file = p;
    expected_file.replace_extension(".expected");
    ASSERT_TRUE(fs::exists(expected_file)) << rel << " has no .expected file beside it";
    LoadResult r = load_plan_file(rel, options);
    EXPECT_FALSE(r.spec.has_value()) << rel << " loaded although it is in the error corpus";
    // @CORPUS@ stands for this checkout's tests/corpus (messages about the disk name it).
    std::string expected = read_text(expected_file);
    for (size_t at = expected.find("@CORPUS@"); at != std::string::npos; at = expected.find("@CORPUS@")) {
      expected.replace(at, 8, kCorpus.string());
    }
    EXPECT_EQ(expected, r.diagnostics.str()) << "for " << rel;
    for (const auto& d : r.diagnostics.items()) {
      EXPECT_FALSE(d.code.empty()) << d.str();
      // Every message names the file it is about, and stays readable: no raw bytes of a
      // binary input and no 100 kB quotation.
      EXPECT_NE(d.str().find(rel), std::string::npos) << d.str();
      EXPECT_LT(d.message.size(), 400u) << rel;
      for (unsigned char c : d.message) EXPECT_TRUE(c >= 0x20 && c != 0x7f) << rel << ": " << d.message;
    }
  }
}

// A file that is UTF-8 is not refused by the encoding check: the check must not fire on
// the multi-byte characters a plan may legitimately hold (VM names like "Café Büro 01").
TEST(PlanBadInputCorpus, Utf8NamesAndAByteOrderMarkAreAccepted) {
  testing::MemoryFiles files;
  LoadOptions options;
  options.files = &files;
  auto r = load_plan_text("\xef\xbb\xbfname: caf\xc3\xa9-\xf0\x9f\x98\x80\ntargets:\n  vms: [\"Caf\xc3\xa9 B\xc3\xbcro 01\"]\n",
                          "plans/utf8.yaml", options);
  ASSERT_TRUE(r.spec) << r.diagnostics.str();
  EXPECT_EQ("Caf\xc3\xa9 B\xc3\xbcro 01", r.spec->vms.at(0).vm);
}

}  // namespace
}  // namespace vmc::plan
