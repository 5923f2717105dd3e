#include "mirror/link.h"

#include <gtest/gtest.h>

#include <vector>

namespace vmc::mirror {
namespace {

using Bytes = std::vector<uint8_t>;

const Bytes kIp = {0x45, 0, 0, 20, 1, 2, 3, 4, 64, 47, 0, 0, 127, 0, 1, 1, 127, 0, 0, 1};
const Bytes kMacs = {0, 0x50, 0x56, 1, 2, 3, 0, 0x50, 0x56, 4, 5, 6};

Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

Bytes of(std::span<const uint8_t> s) { return Bytes(s.begin(), s.end()); }

TEST(Link, FindsTheIpv4Packet) {
  // Ethernet, with one and two VLAN tags; Linux cooked v1 and v2; raw IP.
  const auto eth = cat({kMacs, {0x08, 0x00}, kIp});
  const auto tagged = cat({kMacs, {0x81, 0x00, 0x00, 0x07, 0x08, 0x00}, kIp});
  const auto qinq = cat({kMacs, {0x88, 0xA8, 0x00, 0x01, 0x81, 0x00, 0x00, 0x07, 0x08, 0x00}, kIp});
  const auto sll = cat({{0, 0, 0, 1, 0, 6}, {0, 0x50, 0x56, 1, 2, 3, 0, 0}, {0x08, 0x00}, kIp});
  const auto sll2 = cat({{0x08, 0x00, 0, 0, 0, 0, 0, 1, 0, 1, 0, 6}, {0, 0x50, 0x56, 1, 2, 3, 0, 0}, kIp});
  for (auto [lt, f] : {std::pair{kLinkEthernet, eth}, {kLinkEthernet, tagged}, {kLinkEthernet, qinq},
                       {kLinkLinuxCooked, sll}, {kLinkLinuxCooked2, sll2}, {kLinkRaw, kIp}, {kLinkRawDlt, kIp},
                       {kLinkIpv4, kIp}}) {
    auto ip = ipv4_in_link_frame(lt, f);
    ASSERT_TRUE(ip.ok()) << lt << ": " << ip.error().message;
    EXPECT_EQ(of(*ip), kIp) << lt;
  }
}

TEST(Link, SaysWhatIsMissingOrNotIpv4) {
  auto err = [](int lt, const Bytes& f) { return ipv4_in_link_frame(lt, f).error(); };
  EXPECT_EQ(err(kLinkEthernet, Bytes(13)).message, "Ethernet header truncated at byte offset 0: need 14 bytes, have 13");
  EXPECT_EQ(err(kLinkEthernet, cat({kMacs, {0x81, 0x00, 0, 7}})).code, "mirror.truncated");
  EXPECT_EQ(err(kLinkEthernet, cat({kMacs, {0x86, 0xDD}, kIp})).message,
            "Ethernet frame with EtherType 0x86dd at byte offset 12: not IPv4");
  EXPECT_EQ(err(kLinkLinuxCooked, Bytes(15)).message,
            "Linux cooked header truncated at byte offset 0: need 16 bytes, have 15");
  EXPECT_EQ(err(kLinkLinuxCooked2, Bytes(19)).code, "mirror.truncated");
  EXPECT_EQ(err(147, kIp).code, "mirror.unsupported");
  EXPECT_EQ(err(147, kIp).message,
            "link type 147: a collector reads Ethernet (1), Linux cooked (113, 276) or raw IP (12, 101, 228)");
}

}  // namespace
}  // namespace vmc::mirror
