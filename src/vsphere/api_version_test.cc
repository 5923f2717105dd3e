#include "vsphere/api_version.h"

#include <gtest/gtest.h>

#include "vsphere/test_cassette.h"

namespace vmc::vsphere {
namespace {

TEST(PickApiVersion, RealVcenter803Document) {
  // vCenter 8.0.3 lists an internal "uA046D008" as current and numbers as prior.
  auto x = testing::recorded("basic_container_view.yaml", 0);
  ASSERT_NE(x.response_body.find("uA046D008"), std::string::npos);
  auto v = pick_api_version(x.response_body);
  ASSERT_TRUE(v.ok()) << v.error().message;
  EXPECT_EQ(*v, "8.0.2.0");
}

TEST(PickApiVersion, SkipsNewerThanKnownAndOtherNamespaces) {
  auto v = pick_api_version(
      "<namespaces><namespace><name>urn:other</name><version>7.0</version></namespace>"
      "<namespace><name>urn:vim25</name><version>9.1.0.0</version><priorVersions>"
      "<version>6.7.3</version><version>8.0.10</version><version>7.0.3.2</version>"
      "</priorVersions></namespace></namespaces>");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, "7.0.3.2");
  EXPECT_FALSE(pick_api_version("<html>404</html>").ok());
  EXPECT_FALSE(pick_api_version("<namespace><name>urn:vim25</name><version>x</version></namespace>").ok());
}

TEST(CompareVersions, Numeric) {
  EXPECT_EQ(compare_versions("8.0.2.0", "8.0.2"), 0);
  EXPECT_EQ(compare_versions("8.0.10", "8.0.9"), 1);
  EXPECT_EQ(compare_versions("6.7", "7.0"), -1);
}

}  // namespace
}  // namespace vmc::vsphere
