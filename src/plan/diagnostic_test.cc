#include "plan/diagnostic.h"

#include <gtest/gtest.h>

namespace vmc::plan {
namespace {

TEST(LocationStr, OmitsWhatIsUnknown) {
  EXPECT_EQ("a.yaml:3:7", (Location{"a.yaml", 3, 7}).str());
  EXPECT_EQ("a.yaml:3", (Location{"a.yaml", 3, 0}).str());
  EXPECT_EQ("a.yaml", (Location{"a.yaml", 0, 0}).str());
  EXPECT_EQ("--duration", (Location{"--duration", 0, 0}).str());
}

TEST(DiagnosticsTest, KeepsOrderAndFormatsOneLineEach) {
  Diagnostics d;
  EXPECT_TRUE(d.empty());
  d.add({"p.yaml", 2, 3}, "plan.bad-value", "first");
  d.add({"", 0, 0}, "plan.file", "no location");
  ASSERT_EQ(2u, d.size());
  EXPECT_EQ("p.yaml:2:3: first\nno location\n", d.str());
  EXPECT_EQ("plan.file", d.items()[1].code);
}

}  // namespace
}  // namespace vmc::plan
