#include "plan/filter_keys.h"

#include <gtest/gtest.h>

namespace vmc::plan {
namespace {

TEST(FilterKeys, EveryKeySetsItsOwnField) {
  struct Case {
    const char* key;
    const char* value;
    const char* shown;  // as filter_items prints it
  } cases[] = {
      {"mac", "00:50:56:AA:BB:CC", "00:50:56:aa:bb:cc"},
      {"srcmac", "00:50:56:00:00:01", "00:50:56:00:00:01"},
      {"dstmac", "ff:ff:ff:ff:ff:ff", "ff:ff:ff:ff:ff:ff"},
      {"ip", "10.0.0.1", "10.0.0.1"},
      {"srcip", "10.0.0.0/8", "10.0.0.0/8"},
      {"dstip", "192.168.1.1", "192.168.1.1"},
      {"vlan", "100", "100"},
      {"proto", "udp", "0x11"},
      {"srcport", "68", "68"},
      {"dstport", "67", "67"},
      {"tcpport", "443", "443"},
      {"ethtype", "arp", "0x0806"},
      {"rcf", "udp port 67", "udp port 67"},
  };
  ASSERT_EQ(std::size(cases), filter_keys().size());
  for (const auto& c : cases) {
    model::Filter f;
    ASSERT_TRUE(set_filter_key(f, c.key, c.value).ok()) << c.key;
    auto items = filter_items(f);
    ASSERT_EQ(1u, items.size()) << c.key << " set more or less than one field";
    EXPECT_EQ(c.key, items[0].first);
    EXPECT_EQ(c.shown, items[0].second);
  }
}

TEST(FilterKeys, BadValuesLeaveTheFilterUnchanged) {
  model::Filter f;
  auto st = set_filter_key(f, "dstport", "70000");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ("plan.bad-value", st.error().code);
  EXPECT_TRUE(f.empty());
}

TEST(FilterKeys, UnknownKeySuggestsAndLists) {
  model::Filter f;
  auto st = set_filter_key(f, "dstprt", "67");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ("plan.unknown-key", st.error().code);
  EXPECT_NE(std::string::npos, st.error().message.find("did you mean 'dstport'?")) << st.error().message;
  EXPECT_NE(std::string::npos, st.error().message.find("ethtype or rcf")) << st.error().message;
}

TEST(FilterItems, KeepsTheDocumentedOrder) {
  model::Filter f;
  ASSERT_TRUE(set_filter_key(f, "dstport", "67").ok());
  ASSERT_TRUE(set_filter_key(f, "proto", "17").ok());
  auto items = filter_items(f);
  ASSERT_EQ(2u, items.size());
  EXPECT_EQ("proto", items[0].first);
  EXPECT_EQ("dstport", items[1].first);
}

}  // namespace
}  // namespace vmc::plan
