#include "host/ps.h"

#include <gtest/gtest.h>

namespace vmc::host {
namespace {

TEST(ParsePs, EsxiWithCartelAndCommand) {
  const char* text =
      "WID      CID      World Name                     Command\n"
      "1        0        system                         \n"
      "2099101  2099100  pktcap-uw                      pktcap-uw --switchport 33554442 --dir 2 -o -\n"
      "2099300  2099300  sh                             sh -c echo $$; exec /bin/pktcap-uw --uplink vmnic0\n";
  auto r = parse_ps(text);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->size(), 3u);
  EXPECT_EQ((*r)[0], (ProcessRow{1, 0, ""}));
  EXPECT_EQ((*r)[1], (ProcessRow{2099101, 2099100, "pktcap-uw --switchport 33554442 --dir 2 -o -"}));
  auto byc = find_process(*r, 2099100);
  ASSERT_TRUE(byc);
  EXPECT_EQ(byc->pid, 2099101);
  EXPECT_TRUE(is_pktcap(*byc));
  EXPECT_TRUE(is_pktcap((*r)[2]));
  EXPECT_FALSE(is_pktcap((*r)[0]));
  EXPECT_FALSE(find_process(*r, 5));
}

TEST(ParsePs, BusyboxAndHeaderless) {
  auto bb = parse_ps("  PID USER       TIME  COMMAND\r\n  812 root       0:00 pktcap-uw --vmk vmk0 -o -\r\n  900 root       0:00 vi pktcap-uw.txt\r\n");
  ASSERT_TRUE(bb.ok()) << bb.error().message;
  ASSERT_EQ(bb->size(), 2u);
  EXPECT_EQ((*bb)[0], (ProcessRow{812, std::nullopt, "pktcap-uw --vmk vmk0 -o -"}));
  EXPECT_FALSE(is_pktcap((*bb)[1]));

  auto plain = parse_ps("12 pktcap-uw -o -\n13 /usr/lib/vmware/bin/pktcap-uw\n14\n");
  ASSERT_TRUE(plain.ok()) << plain.error().message;
  ASSERT_EQ(plain->size(), 3u);
  EXPECT_EQ((*plain)[0].command, "pktcap-uw -o -");
  EXPECT_TRUE(is_pktcap((*plain)[1]));
  EXPECT_EQ((*plain)[2].command, "");

  auto names = parse_ps("WID CID World Name\n5 6 pktcap-uw\n");
  ASSERT_TRUE(names.ok());
  EXPECT_EQ((*names)[0], (ProcessRow{5, 6, "pktcap-uw"}));
}

TEST(ParsePs, LabPsMinusC) {
  // `ps -c` as the lab prints it (%-9d %-9d %-20s %s), with a world name holding spaces.
  const char* text =
      "WID       CID       World Name           Command\n"
      "1         1         init                 init\n"
      "1000007   1000007   vmx-vcpu-0 testvm1   vmx-vcpu-0:testvm1\n"
      "1000210   1000210   pktcap-uw            pktcap-uw --switchport 33554442 --dir 2 -o -\n";
  auto r = parse_ps(text);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->size(), 3u);
  EXPECT_EQ((*r)[1].command, "vmx-vcpu-0:testvm1");
  EXPECT_EQ((*r)[2], (ProcessRow{1000210, 1000210, "pktcap-uw --switchport 33554442 --dir 2 -o -"}));
}

TEST(ParsePs, Errors) {
  for (const char* t : {"USER COMMAND\nroot x\n", "PID COMMAND\nabc x\n", "WID CID Command\n1 x y\n",
                        "12 a\nzz b\n"}) {
    auto r = parse_ps(t);
    ASSERT_FALSE(r.ok()) << t;
    EXPECT_EQ(r.error().code, "ps.parse");
  }
  auto empty = parse_ps("");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

}  // namespace
}  // namespace vmc::host
