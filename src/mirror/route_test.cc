#include "mirror/route.h"

#include <gtest/gtest.h>

#include "mirror/collector.h"
#include "mirror/decap.h"

namespace vmc::mirror {
namespace {

TEST(ParseIpv4, TakesDottedQuadsOnly) {
  EXPECT_EQ(parse_ipv4("127.0.1.2"), 0x7F000102u);
  EXPECT_EQ(parse_ipv4("0.0.0.0"), 0u);
  EXPECT_EQ(parse_ipv4("255.255.255.255"), 0xFFFFFFFFu);
  for (const char* bad : {"", "127.0.1", "127.0.1.2.3", "256.0.0.1", "1.2.3.-4", "1..2.3", "1.2.3.4 ", "a.b.c.d",
                          "0001.2.3.4", "::1"}) {
    EXPECT_FALSE(parse_ipv4(bad)) << bad;
  }
}

// The lab's hosts send from 127.0.1.N: the kernel reaches them over the loopback
// interface, whose 127.0.0.1/8 holds them.
TEST(RouteTo, FindsTheLoopbackInterfaceForLoopbackHosts) {
  auto r = route_to(0x7F000102);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->interface, "lo");
  EXPECT_EQ(r->local_address >> 24, 127u) << format_ipv4(r->local_address);
}

TEST(Collector, SaysWhyItCannotCapture) {
  auto c = Collector::open({.interface = "vmcnosuch0"});
  ASSERT_FALSE(c.ok());
  EXPECT_TRUE(c.error().code == "mirror.capture" || c.error().code == "mirror.permission") << c.error().code;
  EXPECT_EQ(c.error().message.rfind("capture on vmcnosuch0: ", 0), 0u) << c.error().message;
  EXPECT_EQ(permission_hint("/usr/bin/capture"),
            "capturing packets needs the CAP_NET_RAW and CAP_NET_ADMIN capabilities: run as root, or grant them to "
            "the binary once, as Wireshark's dumpcap is installed: sudo setcap cap_net_raw,cap_net_admin=eip "
            "/usr/bin/capture");
}

}  // namespace
}  // namespace vmc::mirror
