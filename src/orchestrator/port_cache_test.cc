#include "orchestrator/port_cache.h"

#include <gtest/gtest.h>

namespace vmc::orchestrator {
namespace {

using namespace std::chrono_literals;

const HostMac kNic{model::MoRef{"HostSystem", "host-1"}, model::Mac::parse("00:50:56:00:00:01").value()};

TEST(PortCache, AFoundPortIsFreshForItsMaxAge) {
  PortCache cache;
  const model::TimePoint t0 = model::TimePoint{} + 1000h;
  EXPECT_FALSE(cache.fresh(kNic, t0, 30s));
  EXPECT_EQ(100, cache.known(kNic, 100, t0).port_id);
  ASSERT_TRUE(cache.fresh(kNic, t0 + 29s, 30s));
  EXPECT_EQ(100, cache.fresh(kNic, t0 + 29s, 30s)->port_id);
  EXPECT_FALSE(cache.fresh(kNic, t0 + 30s, 30s));
  cache.forget(kNic);
  EXPECT_FALSE(cache.fresh(kNic, t0, 30s));
  cache.known(kNic, 100, t0);
  cache.forget_all();
  EXPECT_FALSE(cache.fresh(kNic, t0, 30s));
}

TEST(PortCache, FirstSeenIsKeptAcrossLookupsAndForgetting) {
  PortCache cache;
  const model::TimePoint t0 = model::TimePoint{} + 1000h;
  cache.known(kNic, 100, t0);
  cache.known(kNic, 100, t0 + 5s);
  cache.forget_all();
  cache.known(kNic, 101, t0 + 6s);
  EXPECT_EQ(t0, cache.first_seen(kNic, 100));
  EXPECT_EQ(t0 + 6s, cache.first_seen(kNic, 101));
  EXPECT_FALSE(cache.first_seen(kNic, 102));
  EXPECT_FALSE(cache.first_seen(HostMac{model::MoRef{"HostSystem", "host-2"}, kNic.mac}, 100));
}

}  // namespace
}  // namespace vmc::orchestrator
