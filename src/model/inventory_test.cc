#include "model/inventory.h"

#include <gtest/gtest.h>

namespace vmc::model {
namespace {

TEST(Inventory, DirBothFromSixSeven) {
  EXPECT_TRUE(supports_dir_both("8.0.3"));
  EXPECT_TRUE(supports_dir_both("6.7.0"));
  EXPECT_TRUE(supports_dir_both("7.0"));
  EXPECT_FALSE(supports_dir_both("6.5.0"));
  EXPECT_FALSE(supports_dir_both("5.5"));
  EXPECT_FALSE(supports_dir_both(""));
  EXPECT_FALSE(supports_dir_both("garbage"));
}

TEST(Inventory, MoRefString) {
  MoRef r{"VirtualMachine", "vm-42"};
  EXPECT_EQ("VirtualMachine:vm-42", r.str());
  EXPECT_FALSE(r.empty());
  EXPECT_TRUE(MoRef{}.empty());
}

}  // namespace
}  // namespace vmc::model
