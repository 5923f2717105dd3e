// The collector side of VDS port mirroring (src/mirror) against the lab: a session
// made through the lab's vCenter code (POST /mirror/session) mirrors db01's distributed
// port; the lab's hosts send real GRE/ERSPAN packets on loopback; the collector
// captures them with libpcap on the interface the route to the host gives, and every
// decapsulated frame matches what truth.jsonl says the host sent.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <random>
#include <thread>

#include "lab_fixture.h"
#include "mirror/collector.h"
#include "mirror/route.h"

namespace vmc::itest {
namespace {

Lab* lab = nullptr;

class LabEnv : public ::testing::Environment {
 public:
  void SetUp() override { lab = new Lab("--traffic-interval 50ms --boot-dhcp-delay 200ms"); }
  void TearDown() override { delete lab; }
};
const auto* env = ::testing::AddGlobalTestEnvironment(new LabEnv);

struct Got {
  int64_t capture_ns = 0;
  mirror::Decapsulated d;  // d.frame is not kept: see bytes
  std::vector<uint8_t> bytes;
};

// A destination address of this test's own, a new one per call (the lab sends only to
// 127.0.0.0/8).
uint32_t own_destination() {
  static std::mt19937 r(static_cast<unsigned>(getpid()) ^ static_cast<unsigned>(time(nullptr)));
  auto pick = [&](uint32_t n) { return static_cast<uint32_t>(r() % n); };
  return 0x7F000000u | (200u + pick(50)) << 16 | pick(256) << 8 | (1 + pick(254));
}

// Opens the collector towards esx02, starts a session for db01 with `query`, reads until
// `n` frames arrived (or 30 s), removes the session; returns the frames and the key.
std::vector<Got> capture(const std::string& query, size_t n, uint32_t* dst_out) {
  const auto host = mirror::parse_ipv4(lab->info().at("mirror").at("hosts").at("esx02").get<std::string>());
  EXPECT_TRUE(host);
  auto route = mirror::route_to(*host);
  EXPECT_TRUE(route.ok()) << route.error().message;
  const uint32_t dst = own_destination();
  *dst_out = dst;
  auto c = mirror::Collector::open({.interface = route->interface, .destination = dst});
  EXPECT_TRUE(c.ok()) << c.error().message;
  if (!c.ok()) return {};
  const auto answer = nlohmann::json::parse(
      lab->post("/mirror/session?vm=db01&dst=" + mirror::format_ipv4(dst) + "&" + query));
  std::vector<Got> got;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (got.size() < n && std::chrono::steady_clock::now() < deadline) {
    auto r = (*c)->read(1000, [&](int64_t ns, const mirror::Decapsulated& d) {
      got.push_back({ns, d, std::vector<uint8_t>(d.frame.begin(), d.frame.end())});
    });
    EXPECT_TRUE(r.ok()) << r.error().message;
  }
  lab->post("/mirror/session?remove=" + answer.at("key").get<std::string>());
  const auto st = (*c)->stats();
  EXPECT_EQ(st.bad, 0u) << (st.last_error ? st.last_error->message : "");
  EXPECT_EQ(st.dropped, 0u);
  EXPECT_EQ((*c)->filter(), "ip proto 47 and dst host " + mirror::format_ipv4(dst));
  return got;
}

// truth.jsonl's copies to dst, by GRE sequence number, once it has every copy in got
// (the lab writes a copy's record just after sending it, and flushes every 20 ms).
std::map<uint32_t, nlohmann::json> truth_copies(uint32_t dst, const std::vector<Got>& got) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (;;) {
    std::map<uint32_t, nlohmann::json> out;
    for (const auto& r : lab->truth("mirror")) {
      if (r.at("dst") == mirror::format_ipv4(dst) && r.at("fate") == "sent") out[r.at("gre_seq").get<uint32_t>()] = r;
    }
    bool all = true;
    for (const auto& g : got) all = all && g.d.gre_sequence && out.count(*g.d.gre_sequence) > 0;
    if (all || std::chrono::steady_clock::now() > deadline) return out;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

bool carries_mac(const std::vector<uint8_t>& f, const std::string& mac) {
  auto hex = [&](size_t at) {
    char b[18];
    snprintf(b, sizeof b, "%02x:%02x:%02x:%02x:%02x:%02x", f[at], f[at + 1], f[at + 2], f[at + 3], f[at + 4],
             f[at + 5]);
    return std::string(b);
  };
  return f.size() >= 12 && (hex(0) == mac || hex(6) == mac);
}

TEST(MirrorCollector, ErspanIIIFramesMatchTruth) {
  uint32_t dst = 0;
  const auto got = capture("encap=erspan3&erspan_id=21&gra_nanosec=true", 20, &dst);
  ASSERT_GE(got.size(), 20u);
  const auto truth = truth_copies(dst, got);
  const auto vmk = mirror::parse_ipv4(lab->info().at("mirror").at("hosts").at("esx02").get<std::string>());
  for (size_t i = 0; i < got.size(); ++i) {
    const auto& g = got[i];
    ASSERT_TRUE(g.d.gre_sequence);
    EXPECT_EQ(*g.d.gre_sequence, i + 1) << "nothing lost or reordered on loopback";
    EXPECT_EQ(g.d.encapsulation, mirror::Encapsulation::erspan3);
    EXPECT_EQ(g.d.outer_source, *vmk);
    EXPECT_EQ(g.d.outer_destination, dst);
    EXPECT_EQ(g.d.session_id, 21);
    auto t = truth.find(*g.d.gre_sequence);
    ASSERT_NE(t, truth.end()) << "copy " << *g.d.gre_sequence << " not in truth.jsonl";
    const auto& rec = t->second;
    EXPECT_TRUE(rec.at("vm") == "db01" || rec.at("dir") == 1) << rec.dump();  // into db01: any sender
    EXPECT_EQ(g.bytes.size(), rec.at("len").get<size_t>());
    EXPECT_FALSE(g.d.truncated);
    EXPECT_EQ(g.d.direction, rec.at("dir") == 1 ? mirror::Direction::egress : mirror::Direction::ingress);
    EXPECT_TRUE(carries_mac(g.bytes, rec.at("mac"))) << rec.dump();
    // 100 ns ticks of the host's clock: the frame's true time to the tick.
    ASSERT_TRUE(g.d.timestamp);
    EXPECT_EQ(g.d.timestamp->granularity, 1);
    const auto ts = mirror::resolve_timestamp_ns(*g.d.timestamp, g.capture_ns);
    ASSERT_TRUE(ts);
    EXPECT_EQ(*ts, rec.at("t").get<int64_t>() / 100 * 100);
    EXPECT_GE(g.capture_ns, *ts);
  }
}

TEST(MirrorCollector, GreAndTruncatedErspanII) {
  uint32_t dst = 0;
  auto got = capture("encap=gre", 5, &dst);
  ASSERT_GE(got.size(), 5u);
  auto truth = truth_copies(dst, got);
  for (const auto& g : got) {
    EXPECT_EQ(g.d.encapsulation, mirror::Encapsulation::gre);
    EXPECT_EQ(g.d.direction, mirror::Direction::unknown);
    ASSERT_TRUE(g.d.gre_sequence);  // the lab's default GRE header carries one
    ASSERT_TRUE(truth.count(*g.d.gre_sequence));
    EXPECT_EQ(g.bytes.size(), truth.at(*g.d.gre_sequence).at("len").get<size_t>());
  }
  got = capture("encap=erspan2&erspan_id=5&length=64", 5, &dst);
  ASSERT_GE(got.size(), 5u);
  truth = truth_copies(dst, got);
  for (const auto& g : got) {
    EXPECT_EQ(g.d.encapsulation, mirror::Encapsulation::erspan2);
    EXPECT_EQ(g.d.session_id, 5);
    const auto& rec = truth.at(*g.d.gre_sequence);
    EXPECT_EQ(g.bytes.size(), rec.at("mirrored_len").get<size_t>());
    EXPECT_LE(g.bytes.size(), 64u);
    EXPECT_EQ(g.d.truncated, rec.at("truncated").get<bool>());
    EXPECT_EQ(std::to_string(g.d.index), rec.at("dvport").get<std::string>());
  }
}

}  // namespace
}  // namespace vmc::itest
