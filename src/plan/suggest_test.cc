#include "plan/suggest.h"

#include <gtest/gtest.h>

namespace vmc::plan {
namespace {

TEST(EditDistance, Basics) {
  EXPECT_EQ(0u, edit_distance("abc", "abc"));
  EXPECT_EQ(0u, edit_distance("ABC", "abc"));
  EXPECT_EQ(1u, edit_distance("diretion", "direction"));
  EXPECT_EQ(2u, edit_distance("ab", "ba"));
  EXPECT_EQ(3u, edit_distance("", "abc"));
}

TEST(Closest, SuggestsOnlyLikelyTypos) {
  std::vector<std::string> keys{"direction", "point", "stage", "filter"};
  EXPECT_EQ("direction", closest("diretion", keys));
  EXPECT_EQ("filter", closest("filtr", keys));
  EXPECT_EQ("stage", closest("Stage", keys));
  EXPECT_EQ(std::nullopt, closest("bananas", keys));
  EXPECT_EQ(std::nullopt, closest("", keys));
  EXPECT_EQ(std::nullopt, closest("x", {}));
}

TEST(JoinAlternatives, Punctuation) {
  EXPECT_EQ("", join_alternatives({}));
  EXPECT_EQ("a", join_alternatives({"a"}));
  EXPECT_EQ("a or b", join_alternatives({"a", "b"}));
  EXPECT_EQ("a, b or c", join_alternatives({"a", "b", "c"}));
}

}  // namespace
}  // namespace vmc::plan
