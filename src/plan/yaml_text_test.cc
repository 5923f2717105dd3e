#include "plan/yaml_text.h"

#include <gtest/gtest.h>

namespace vmc::plan {
namespace {

TEST(ParseOneDocument, GivesTheDocument) {
  Diagnostics d;
  auto n = parse_one_document("a: 1\nb: [x, y]\n", "f.yaml", d);
  ASSERT_TRUE(n) << d.str();
  EXPECT_TRUE(n->IsMap());
  EXPECT_EQ("y", (*n)["b"][1].Scalar());
  EXPECT_EQ("f.yaml:2:8", location_of("f.yaml", (*n)["b"][1].Mark()).str());
}

TEST(ParseOneDocument, EmptyTextIsNull) {
  Diagnostics d;
  auto n = parse_one_document("", "f.yaml", d);
  ASSERT_TRUE(n);
  EXPECT_TRUE(n->IsNull());
  auto c = parse_one_document("# only a comment\n", "f.yaml", d);
  ASSERT_TRUE(c);
  EXPECT_TRUE(c->IsNull());
  EXPECT_TRUE(d.empty());
}

// yaml-cpp 0.7's LoadAll never returns on these; parse_one_document must.
TEST(ParseOneDocument, StrayTopLevelCommaIsAnErrorNotAHang) {
  for (const char* text : {",", ",,,,", ",\n", "  ,"}) {
    Diagnostics d;
    EXPECT_FALSE(parse_one_document(text, "f.yaml", d)) << text;
    ASSERT_EQ(1u, d.size()) << text;
    EXPECT_EQ("plan.syntax", d.items()[0].code);
  }
}

TEST(ParseOneDocument, SecondDocumentIsReportedWhereItStarts) {
  Diagnostics d;
  EXPECT_FALSE(parse_one_document("a: 1\n---\nb: 2\n---\nc: 3\n", "f.yaml", d));
  ASSERT_EQ(1u, d.size());
  EXPECT_EQ("f.yaml:2:1", d.items()[0].where.str());
}

TEST(ParseOneDocument, SyntaxErrorsCarryPositionAndTabHint) {
  Diagnostics d;
  EXPECT_FALSE(parse_one_document("a:\n\tb: 1\n", "f.yaml", d));
  ASSERT_EQ(1u, d.size());
  EXPECT_EQ(2, d.items()[0].where.line);
  EXPECT_NE(std::string::npos, d.items()[0].message.find("tab")) << d.str();
}

TEST(ParseOneDocument, DeepNestingIsRefused) {
  Diagnostics d;
  std::string text = "a: " + std::string(5000, '[') + std::string(5000, ']') + "\n";
  EXPECT_FALSE(parse_one_document(text, "f.yaml", d));
  ASSERT_EQ(1u, d.size());
  EXPECT_NE(std::string::npos, d.items()[0].message.find("too deep")) << d.str();
}

}  // namespace
}  // namespace vmc::plan
