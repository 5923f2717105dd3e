#include "util/result.h"

#include <gtest/gtest.h>

namespace vmc {
namespace {

Result<int> parse_positive(int v) {
  if (v <= 0) return Error("range", "value must be positive, got " + std::to_string(v));
  return v;
}

TEST(Result, CarriesValueOrError) {
  auto good = parse_positive(3);
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(3, *good);
  auto bad = parse_positive(-1);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ("range", bad.error().code);
  EXPECT_EQ("value must be positive, got -1", bad.error().message);
}

TEST(Result, ContextPrefixesMessageKeepsCode) {
  Error e("ssh.auth", "permission denied");
  Error c = e.context("esx01");
  EXPECT_EQ("ssh.auth", c.code);
  EXPECT_EQ("esx01: permission denied", c.message);
  // Said once: context already there is not repeated; other context is added.
  EXPECT_EQ("esx01: permission denied", c.context("esx01").message);
  EXPECT_EQ("esx01x: esx01: permission denied", c.context("esx01x").message);
}

TEST(Result, KindSurvivesContextAndRewording) {
  Error e("ssh.hostkey-changed", "the host key CHANGED", ErrorKind::Refused);
  EXPECT_TRUE(e.context("esx01").is(ErrorKind::Refused));
  Error r = e.reworded("esx01: refused");
  EXPECT_EQ("ssh.hostkey-changed", r.code);
  EXPECT_EQ("esx01: refused", r.message);
  EXPECT_EQ(ErrorKind::Refused, r.kind);
  EXPECT_TRUE(Error("x", "plain").is(ErrorKind::Failed));
}

TEST(Result, VoidStatus) {
  Status s;
  EXPECT_TRUE(s.ok());
  Status f = Error("x", "failed");
  EXPECT_FALSE(f.ok());
  EXPECT_EQ("failed", f.error().message);
}

}  // namespace
}  // namespace vmc
