#include "capture/manifest.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "capture/test_util.h"

namespace vmc::capture {
namespace {

TEST(Manifest, FormatsTimesAsRfc3339WithNanoseconds) {
  EXPECT_EQ(format_time(0), "1970-01-01T00:00:00.000000000Z");
  EXPECT_EQ(format_time(1'764'140'000'123'456'789), "2025-11-26T06:53:20.123456789Z");
  EXPECT_EQ(format_time(-1), "1969-12-31T23:59:59.999999999Z");
}

TEST(Manifest, PathSitsBesideTheOutput) {
  EXPECT_EQ(manifest_path_for("/x/cap.pcapng"), "/x/cap.manifest.json");
  EXPECT_EQ(manifest_path_for("cap"), "cap.manifest.json");
}

TEST(Manifest, WritesEverySectionWithOwnerOnlyMode) {
  Manifest m;
  m.tool = "vm-capture 0.1.0";
  m.session = "vm testvm1";
  m.vcenter = "vc01";
  ManifestPin p;
  p.interface = "esx01:33554442:in";
  p.host = "esx01";
  p.port = "33554442";
  p.direction = "in";
  p.frames = 12;
  p.bytes = 3400;
  p.end_ns = 5'000'000'000;
  m.pins.push_back(p);
  m.gaps.push_back({"testvm1", 1'000'000'000, 1'500'000'000, "vMotion"});
  m.events.push_back({2'000'000'000, "moved", "esx01 -> esx02"});
  m.drs_actions.push_back({0, "cl1", "testvm1", "set-override", "fullyAutomated -> manual"});
  m.frames = 12;
  m.duplicates_removed = 3;
  m.clock_corrections_ns["esx02"] = 2'987'000'000;
  testing::TempDir d;
  const auto path = d.file("cap.manifest.json");
  ASSERT_TRUE(write_manifest(path, m).ok());
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto bytes = testing::read_file(path);
  auto j = nlohmann::json::parse(bytes.begin(), bytes.end());
  EXPECT_EQ(j["pins"][0]["interface"], "esx01:33554442:in");
  EXPECT_EQ(j["pins"][0]["frames"], 12);
  EXPECT_EQ(j["pins"][0]["end"], "1970-01-01T00:00:05.000000000Z");
  EXPECT_EQ(j["gaps"][0]["seconds"], 0.5);
  EXPECT_EQ(j["events"][0]["kind"], "moved");
  EXPECT_EQ(j["drs_actions"][0]["action"], "set-override");
  EXPECT_EQ(j["counts"]["duplicates_removed"], 3);
  EXPECT_EQ(j["tool"], "vm-capture 0.1.0");
  EXPECT_EQ(j["clock_corrections_ns"]["esx02"], 2'987'000'000);
}

}  // namespace
}  // namespace vmc::capture
