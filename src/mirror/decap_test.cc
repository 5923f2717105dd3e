#include "mirror/decap.h"

#include <gtest/gtest.h>

#include <vector>

namespace vmc::mirror {
namespace {

// Packets built field by field from RFC 791, RFC 2784/2890 and
// draft-foschiano-erspan-03, independently of decap.cc.
using Bytes = std::vector<uint8_t>;

void put16(Bytes& b, unsigned v) {
  b.push_back(static_cast<uint8_t>(v >> 8));
  b.push_back(static_cast<uint8_t>(v));
}
void put32(Bytes& b, uint32_t v) {
  put16(b, v >> 16);
  put16(b, v & 0xFFFF);
}
uint16_t checksum(const Bytes& b, size_t from, size_t to) {
  uint32_t sum = 0;
  for (size_t i = from; i < to; i += 2) sum += static_cast<uint32_t>(b[i] << 8 | (i + 1 < to ? b[i + 1] : 0));
  while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

Bytes frame(size_t n = 64) {
  Bytes f;
  for (size_t i = 0; i < n; ++i) f.push_back(static_cast<uint8_t>(i * 7 + 1));
  return f;
}

struct Ip {
  uint32_t src = 0x7F000101;  // 127.0.1.1
  uint32_t dst = 0x7F000001;  // 127.0.0.1
  uint8_t proto = 47;
  uint8_t ttl = 64;
  uint16_t frag = 0x4000;  // DF
  size_t options = 0;      // words of IP options
};

Bytes ipv4(const Bytes& payload, const Ip& ip = {}) {
  Bytes b;
  b.push_back(static_cast<uint8_t>(0x40 | (5 + ip.options)));
  b.push_back(0);
  put16(b, static_cast<unsigned>(20 + 4 * ip.options + payload.size()));
  put16(b, 0x1234);
  put16(b, ip.frag);
  b.push_back(ip.ttl);
  b.push_back(ip.proto);
  put16(b, 0);
  put32(b, ip.src);
  put32(b, ip.dst);
  for (size_t i = 0; i < ip.options; ++i) put32(b, 0x01010101);  // NOPs
  const uint16_t c = checksum(b, 0, b.size());
  b[10] = static_cast<uint8_t>(c >> 8);
  b[11] = static_cast<uint8_t>(c);
  b.insert(b.end(), payload.begin(), payload.end());
  return b;
}

struct Gre {
  uint16_t proto = 0x6558;
  std::optional<uint32_t> key{};
  std::optional<uint32_t> seq{};
  bool checksum = false;
};

Bytes gre(const Gre& g, const Bytes& inner) {
  Bytes b;
  unsigned flags = (g.checksum ? 0x8000 : 0) | (g.key ? 0x2000 : 0) | (g.seq ? 0x1000 : 0);
  put16(b, flags);
  put16(b, g.proto);
  if (g.checksum) put32(b, 0);
  if (g.key) put32(b, *g.key);
  if (g.seq) put32(b, *g.seq);
  b.insert(b.end(), inner.begin(), inner.end());
  if (g.checksum) {
    const uint16_t c = checksum(b, 0, b.size());
    b[4] = static_cast<uint8_t>(c >> 8);
    b[5] = static_cast<uint8_t>(c);
  }
  return b;
}

// ERSPAN base word pair: Ver(4) VLAN(12) | COS(3) En/BSO(2) T(1) Session(10).
void erspan_base(Bytes& b, unsigned ver, unsigned vlan, unsigned cos, unsigned en, bool t, unsigned session) {
  put16(b, ver << 12 | vlan);
  put16(b, cos << 13 | en << 11 | (t ? 1u : 0u) << 10 | session);
}

Bytes erspan2(unsigned session, unsigned cos, bool t, uint32_t index, const Bytes& f, unsigned vlan = 0, unsigned en = 0) {
  Bytes b;
  erspan_base(b, 1, vlan, cos, en, t, session);
  put32(b, index);
  b.insert(b.end(), f.begin(), f.end());
  return b;
}

struct E3 {
  unsigned session = 0, cos = 0, bso = 0, vlan = 0;
  bool t = false;
  uint32_t timestamp = 0;
  unsigned sgt = 0, p = 1, ft = 0, hwid = 0, d = 0, gra = 0;
  std::optional<uint64_t> platform{};  // 64-bit subheader word
  unsigned ver = 2;
};

Bytes erspan3(const E3& e, const Bytes& f) {
  Bytes b;
  erspan_base(b, e.ver, e.vlan, e.cos, e.bso, e.t, e.session);
  put32(b, e.timestamp);
  put16(b, e.sgt);
  put16(b, e.p << 15 | e.ft << 10 | e.hwid << 4 | e.d << 3 | e.gra << 1 | (e.platform ? 1u : 0u));
  if (e.platform) {
    put32(b, static_cast<uint32_t>(*e.platform >> 32));
    put32(b, static_cast<uint32_t>(*e.platform));
  }
  b.insert(b.end(), f.begin(), f.end());
  return b;
}

Bytes as_bytes(std::span<const uint8_t> s) { return Bytes(s.begin(), s.end()); }

TEST(Decapsulate, GreTransparentEthernetBridging) {
  const auto f = frame(60);
  for (auto g : {Gre{}, Gre{.seq = 7}, Gre{.key = 40, .seq = 8}, Gre{.checksum = true},
                 Gre{.key = 1, .seq = 2, .checksum = true}}) {
    const auto packet = ipv4(gre(g, f));
    auto r = decapsulate(packet);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->encapsulation, Encapsulation::gre);
    EXPECT_EQ(as_bytes(r->frame), f);
    EXPECT_EQ(r->gre_sequence, g.seq);
    EXPECT_EQ(r->gre_key, g.key);
    EXPECT_EQ(r->outer_source, 0x7F000101u);
    EXPECT_EQ(r->outer_destination, 0x7F000001u);
    EXPECT_EQ(r->ttl, 64);
    EXPECT_EQ(r->direction, Direction::unknown);
    EXPECT_FALSE(r->timestamp);
  }
}

TEST(Decapsulate, ErspanTypeII) {
  const auto f = frame(100);
  const auto packet = ipv4(gre({.proto = 0x88BE, .seq = 99}, erspan2(0x3FF, 5, true, 0xABCDE, f, 12, 3)));
  auto r = decapsulate(packet);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->encapsulation, Encapsulation::erspan2);
  EXPECT_EQ(r->gre_sequence, 99u);
  EXPECT_EQ(r->session_id, 0x3FF);
  EXPECT_EQ(r->cos, 5);
  EXPECT_TRUE(r->truncated);
  EXPECT_EQ(r->index, 0xABCDEu);
  EXPECT_EQ(r->vlan, 12);
  EXPECT_EQ(r->en_or_bso, 3);
  EXPECT_EQ(r->direction, Direction::unknown);
  EXPECT_EQ(as_bytes(r->frame), f);
}

TEST(Decapsulate, ErspanTypeIWithoutSequenceHasNoHeader) {
  const auto f = frame(70);
  const auto packet = ipv4(gre({.proto = 0x88BE}, f));
  auto r = decapsulate(packet);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->encapsulation, Encapsulation::erspan1);
  EXPECT_EQ(as_bytes(r->frame), f);
}

TEST(Decapsulate, ErspanTypeIII) {
  const auto f = frame(90);
  E3 e{.session = 12, .cos = 3, .bso = 1, .vlan = 7, .t = false, .timestamp = 0xDEADBEEF, .sgt = 0x1234,
       .p = 1, .ft = 0, .hwid = 0x2A, .d = 1, .gra = 1};
  const auto packet = ipv4(gre({.proto = 0x22EB, .seq = 1}, erspan3(e, f)));
  auto r = decapsulate(packet);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->encapsulation, Encapsulation::erspan3);
  EXPECT_EQ(r->session_id, 12);
  EXPECT_EQ(r->cos, 3);
  EXPECT_EQ(r->en_or_bso, 1);
  EXPECT_EQ(r->vlan, 7);
  EXPECT_FALSE(r->truncated);
  EXPECT_EQ(r->direction, Direction::egress);
  ASSERT_TRUE(r->timestamp);
  EXPECT_EQ(r->timestamp->value, 0xDEADBEEFu);
  EXPECT_EQ(r->timestamp->granularity, 1);
  EXPECT_EQ(r->timestamp->tick_ns(), 100);
  EXPECT_EQ(r->sgt, 0x1234);
  EXPECT_TRUE(r->ethernet_pdu);
  EXPECT_EQ(r->hardware_id, 0x2A);
  EXPECT_FALSE(r->platform);
  EXPECT_EQ(as_bytes(r->frame), f);

  e.d = 0;
  e.gra = 0;
  e.t = true;
  const auto ingress = ipv4(gre({.proto = 0x22EB, .seq = 2}, erspan3(e, f)));
  r = decapsulate(ingress);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->direction, Direction::ingress);
  EXPECT_TRUE(r->truncated);
  EXPECT_EQ(r->timestamp->tick_ns(), 100'000);
}

TEST(Decapsulate, ErspanTypeIIIPlatformSubheader) {
  const auto f = frame(64);
  E3 e{.gra = 2, .platform = uint64_t{3} << 58 | 0x5};
  const auto packet = ipv4(gre({.proto = 0x22EB, .seq = 1}, erspan3(e, f)));
  auto r = decapsulate(packet);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_TRUE(r->platform);
  EXPECT_EQ(r->platform->id, 3);
  EXPECT_EQ(r->platform->info, 5u);
  EXPECT_EQ(r->timestamp->granularity, 2);
  EXPECT_FALSE(r->timestamp->tick_ns());
  EXPECT_EQ(as_bytes(r->frame), f);
}

TEST(Decapsulate, IgnoresLinkPaddingAndTakesIpOptions) {
  const auto f = frame(20);
  auto p = ipv4(gre({.seq = 1}, f), {.options = 2});
  p.insert(p.end(), 6, 0);  // Ethernet padding after the IP packet
  auto r = decapsulate(p);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(as_bytes(r->frame), f);
}

// Every cut inside the headers is refused as truncated, saying where and what: cut
// packets whose IPv4 header is whole and consistent (their total length says so), and
// prefixes of a whole packet (shorter than its total length).
TEST(Decapsulate, EveryTruncationIsAnError) {
  const auto f = frame(30);
  const std::vector<Bytes> payloads = {
      gre({.key = 1, .seq = 2, .checksum = false}, f),
      gre({.proto = 0x88BE, .seq = 3}, erspan2(1, 0, false, 0, f)),
      gre({.proto = 0x22EB, .seq = 4}, erspan3({.platform = 7}, f)),
  };
  for (const auto& g : payloads) {
    for (size_t n = 0; n <= g.size() - f.size(); ++n) {
      const auto short_packet = ipv4(Bytes(g.begin(), g.begin() + static_cast<std::ptrdiff_t>(n)));
      auto r = decapsulate(short_packet);
      ASSERT_FALSE(r.ok()) << n;
      EXPECT_EQ(r.error().code, "mirror.truncated") << n << ": " << r.error().message;
      EXPECT_NE(r.error().message.find("truncated at byte offset"), std::string::npos) << r.error().message;
    }
    const auto whole = ipv4(g);
    for (size_t n = 0; n < whole.size(); ++n) {
      auto r = decapsulate(std::span(whole).first(n));
      ASSERT_FALSE(r.ok()) << n;
      EXPECT_EQ(r.error().code, "mirror.truncated") << n << ": " << r.error().message;
    }
  }
  const auto e3 = payloads[2];
  const auto e3p = ipv4(e3);
  EXPECT_EQ(decapsulate({}).error().message, "IPv4 header truncated at byte offset 0: need 20 bytes, have 0");
  EXPECT_EQ(decapsulate(std::span(e3p).first(13)).error().message,
            "IPv4 header truncated at byte offset 0: need 20 bytes, have 13");
  EXPECT_EQ(decapsulate(std::span(e3p).first(40)).error().message,
            "IPv4 packet truncated at byte offset 0: need " + std::to_string(20 + e3.size()) +
                " bytes (its total length at byte offset 2), have 40");
  auto cut = [&](const Bytes& g, size_t n) {
    return decapsulate(ipv4(Bytes(g.begin(), g.begin() + static_cast<std::ptrdiff_t>(n)))).error().message;
  };
  EXPECT_EQ(cut(payloads[0], 3), "GRE header truncated at byte offset 20: need 4 bytes, have 3");
  EXPECT_EQ(cut(payloads[0], 10),
            "GRE header truncated at byte offset 20: need 12 bytes (flags 0x3000: key, sequence number), have 10");
  EXPECT_EQ(cut(payloads[1], 12), "ERSPAN type II header truncated at byte offset 28: need 8 bytes, have 4");
  EXPECT_EQ(cut(payloads[2], 19), "ERSPAN type III header truncated at byte offset 28: need 12 bytes, have 11");
  EXPECT_EQ(cut(payloads[2], 22),
            "ERSPAN type III platform specific subheader truncated at byte offset 40: need 8 bytes (the O bit at "
            "byte offset 39 is set), have 2");
  EXPECT_EQ(cut(payloads[2], 28),
            "mirrored frame truncated at byte offset 48: need 1 bytes (nothing after the headers), have 0");
}

struct Bad {
  const char* name;
  Bytes packet;
  const char* code;
  const char* message;
};

TEST(Decapsulate, MalformedAndUnsupportedPacketsSayWhy) {
  const auto f = frame(40);
  const auto good = ipv4(gre({.seq = 1}, f));
  auto with = [&](size_t at, uint8_t v) {
    Bytes b = good;
    b[at] = v;
    return b;
  };
  auto badsum = ipv4(gre({.seq = 1, .checksum = true}, f));
  badsum[30] ^= 0xFF;  // the frame's bytes, under the GRE checksum
  Bytes v6 = good;
  v6[0] = 0x60;
  const std::vector<Bad> cases = {
      {"IPv6", v6, "mirror.unsupported", "IPv6 packet (version 6 at byte offset 0): only IPv4 outer headers are taken"},
      {"version 5", with(0, 0x55), "mirror.malformed", "IP version 5 at byte offset 0 (want 4)"},
      {"IHL 4", with(0, 0x44), "mirror.malformed", "IPv4 header length 16 at byte offset 0 is less than 20"},
      {"total < IHL", [&] { Bytes b = good; b[2] = 0; b[3] = 10; return b; }(), "mirror.malformed",
       "IPv4 total length 10 at byte offset 2 is less than the header length 20"},
      {"header checksum", with(8, 63), "mirror.malformed", "IPv4 header checksum 0x"},
      {"fragment", ipv4(gre({.seq = 1}, f), {.frag = 0x2000}), "mirror.unsupported",
       "IPv4 fragment at byte offset 6 (offset 0 bytes, more fragments): fragments are not reassembled"},
      {"later fragment", ipv4(gre({.seq = 1}, f), {.frag = 0x0010}), "mirror.unsupported",
       "IPv4 fragment at byte offset 6 (offset 128 bytes): fragments are not reassembled"},
      {"UDP", ipv4(f, {.proto = 17}), "mirror.unsupported", "IPv4 protocol 17 at byte offset 9 is not GRE (47)"},
      {"GRE version 1", [&] { Bytes g = gre({.seq = 1}, f); g[1] |= 1; return ipv4(g); }(), "mirror.unsupported",
       "GRE version 1 at byte offset 20: only version 0 carries mirrored frames"},
      {"GRE routing", [&] { Bytes g = gre({.seq = 1}, f); g[0] |= 0x40; return ipv4(g); }(), "mirror.unsupported",
       "GRE flags 0x5000 at byte offset 20: source routing (RFC 1701) is not supported"},
      {"GRE checksum", badsum, "mirror.malformed", "GRE checksum 0x"},
      {"GRE protocol IPv4", ipv4(gre({.proto = 0x0800}, f)), "mirror.unsupported",
       "GRE protocol type 0x0800 at byte offset 22 is not a mirrored frame (want 0x6558, 0x88be or 0x22eb)"},
      {"ERSPAN II version 2", ipv4(gre({.proto = 0x88BE, .seq = 1}, erspan3({}, f))), "mirror.malformed",
       "ERSPAN type II header at byte offset 28: version 2 under GRE protocol 0x88be (want 1)"},
      {"ERSPAN III version 1", ipv4(gre({.proto = 0x22EB, .seq = 1}, erspan3({.ver = 1}, f))), "mirror.malformed",
       "ERSPAN type III header at byte offset 28: version 1 under GRE protocol 0x22eb (want 2)"},
      {"ERSPAN III frame type 7", ipv4(gre({.proto = 0x22EB, .seq = 1}, erspan3({.ft = 7}, f))), "mirror.unsupported",
       "ERSPAN type III frame type 7 at byte offset 38: only 0 (Ethernet) is a mirrored Ethernet frame"},
  };
  for (const auto& c : cases) {
    auto r = decapsulate(c.packet);
    ASSERT_FALSE(r.ok()) << c.name;
    EXPECT_EQ(r.error().code, c.code) << c.name;
    EXPECT_EQ(r.error().message.rfind(c.message, 0), 0u) << c.name << ": " << r.error().message;
  }
}

TEST(ResolveTimestamp, PicksTheWrapNearestTheReference) {
  const int64_t t = 1'700'000'000'123'456'700;  // ns
  // 100 ns ticks wrap every 2^32 * 100 ns = 429.4967296 s.
  const auto ticks = static_cast<uint32_t>(t / 100);
  EXPECT_EQ(resolve_timestamp_ns({ticks, 1}, t), t);
  EXPECT_EQ(resolve_timestamp_ns({ticks, 1}, t + 200'000'000'000), t);  // collector 200 s later
  EXPECT_EQ(resolve_timestamp_ns({ticks, 1}, t - 200'000'000'000), t);  // 200 s earlier
  EXPECT_EQ(resolve_timestamp_ns({ticks, 1}, t + 230'000'000'000), t + 429'496'729'600);  // past half a wrap
  // 100 µs ticks.
  const auto coarse = static_cast<uint32_t>(t / 100'000);
  EXPECT_EQ(resolve_timestamp_ns({coarse, 0}, t + 3'600'000'000'000), t / 100'000 * 100'000);
  EXPECT_FALSE(resolve_timestamp_ns({1, 2}, t));
  EXPECT_FALSE(resolve_timestamp_ns({1, 3}, t));
}

TEST(Names, SayWhatTheyAre) {
  EXPECT_EQ(to_string(Encapsulation::erspan3), "erspan3");
  EXPECT_EQ(to_string(Direction::egress), "egress");
  EXPECT_EQ(format_ipv4(0x7F000102), "127.0.1.2");
}

}  // namespace
}  // namespace vmc::mirror
