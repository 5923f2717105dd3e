#include "orchestrator/backoff.h"

#include <gtest/gtest.h>

namespace vmc::orchestrator {
namespace {

using namespace std::chrono_literals;

TEST(Backoff, DoublesUpToTheCeilingAndClearsOnSuccess) {
  Backoff b(500ms, 2s);
  model::TimePoint t0{};
  EXPECT_TRUE(b.ready("esx01", t0));
  EXPECT_EQ(500ms, b.failed("esx01", t0));
  EXPECT_FALSE(b.ready("esx01", t0 + 499ms));
  EXPECT_TRUE(b.ready("esx01", t0 + 500ms));
  EXPECT_TRUE(b.ready("esx02", t0));
  EXPECT_EQ(1000ms, b.failed("esx01", t0));
  EXPECT_EQ(2000ms, b.failed("esx01", t0));
  EXPECT_EQ(2000ms, b.failed("esx01", t0));
  b.succeeded("esx01");
  EXPECT_TRUE(b.ready("esx01", t0));
  EXPECT_EQ(500ms, b.failed("esx01", t0));
}

}  // namespace
}  // namespace vmc::orchestrator
