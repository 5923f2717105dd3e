#include "orchestrator/summary_json.h"

#include <gtest/gtest.h>

namespace vmc::orchestrator {
namespace {

using namespace std::chrono_literals;

SessionSummary sample() {
  SessionSummary s;
  s.session_id = "s1";
  s.end_reason = EndReason::Boots;
  s.boots = 3;
  Repin a;
  a.since_event = 900ms;
  a.since_port_seen = 100ms;
  Repin b;
  b.since_port_seen = 300ms;  // no event: the port observation time is used
  Repin c;
  c.since_event = 500ms;
  s.repins = {a, b, c};
  Gap g;
  g.from = model::TimePoint{} + 10s;
  g.to = model::TimePoint{} + 11200ms;
  g.mac = "00:50:56:00:00:01";
  s.gaps = {g};
  return s;
}

TEST(Summary, LatencyMedianAndWorst) {
  auto s = sample();
  EXPECT_EQ(500ms, *s.median_repin_latency());
  EXPECT_EQ(900ms, *s.worst_repin_latency());
  s.repins.pop_back();
  EXPECT_EQ(600ms, *s.median_repin_latency());  // mean of the middle two
  s.repins.clear();
  EXPECT_FALSE(s.median_repin_latency());
}

TEST(Summary, JsonAndClosingNote) {
  auto s = sample();
  auto j = to_json(s);
  EXPECT_EQ("boot count reached", j["end_reason"]);
  EXPECT_EQ(500, j["repin_latency_median_ms"]);
  EXPECT_EQ(900, j["repin_latency_worst_ms"]);
  EXPECT_EQ(1200, j["gaps"][0]["ms"]);
  EXPECT_TRUE(j["repins"][1]["since_event_ms"].is_null());
  EXPECT_EQ("session s1 ended: boot count reached\n0 captures, 3 re-pins, re-pin latency median "
            "500 ms, worst 900 ms; 1 gaps (1200 ms in all); 3 boots; 0 capture restarts\n",
            closing_note(s));
}

}  // namespace
}  // namespace vmc::orchestrator
