#include "report/frame_parser.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <random>

#include "report/test_frames.h"

namespace vmc::report {
namespace {

using namespace testing;  // NOLINT: the frame builders

const Mac kVm = mac("00:50:56:aa:00:01");
const Mac kServerMac = mac("02:00:5e:00:00:01");
const Ipv4 kServer = ip(10, 255, 255, 254);

BootEvent parse(const Bytes& f, int64_t ts = 1000, uint32_t orig_len = 0) {
  return parse_boot_frame(f, ts, orig_len);
}

Dhcp discover() {
  Dhcp d;
  d.opt(61, {1, 0x00, 0x50, 0x56, 0xaa, 0x00, 0x01}).opt_str(12, "testvm1").opt(55, {1, 3, 6, 15});
  return d;
}

Dhcp offer() {
  Dhcp d;
  d.op = 2, d.type = 2, d.yiaddr = ip(10, 170, 0, 1), d.siaddr = kServer;
  d.opt_ip(54, kServer).opt(51, {0, 1, 0x51, 0x80}).opt_ip(1, ip(255, 0, 0, 0));
  return d;
}

TEST(FrameParser, DhcpDiscover) {
  const BootEvent e = parse(client_frame(discover()), 42);
  ASSERT_EQ(e.kind, EventKind::Dhcp) << e.problem;
  const DhcpInfo* d = e.dhcp();
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(e.ts_ns, 42);
  EXPECT_EQ(e.src_mac, kVm);
  EXPECT_TRUE(e.dst_mac.broadcast());
  EXPECT_EQ(e.src_port, 68);
  EXPECT_EQ(e.dst_port, 67);
  EXPECT_EQ(d->op, 1);
  EXPECT_TRUE(d->from_client());
  EXPECT_EQ(d->type, DhcpType::Discover);
  EXPECT_EQ(d->xid, 0x11223344u);
  EXPECT_EQ(d->client_mac, kVm);
  EXPECT_EQ(d->hostname, "testvm1");
  EXPECT_FALSE(d->server_id);
  EXPECT_TRUE(d->options_complete);
  EXPECT_FALSE(e.truncated);
  EXPECT_EQ(describe(e), "DHCP DISCOVER xid 0x11223344 00:50:56:aa:00:01");
}

TEST(FrameParser, DhcpOfferWithPxeOptions) {
  Dhcp d = offer();
  d.opt_str(60, "PXEClient").opt_str(66, "10.255.255.254").opt_str(67, "pxelinux.0");
  const BootEvent e = parse(server_frame(d, kServerMac, kServer));
  const DhcpInfo* o = e.dhcp();
  ASSERT_NE(o, nullptr) << e.problem;
  EXPECT_EQ(o->type, DhcpType::Offer);
  EXPECT_FALSE(o->from_client());
  EXPECT_EQ(o->yiaddr.str(), "10.170.0.1");
  EXPECT_EQ(o->siaddr, kServer);
  ASSERT_TRUE(o->server_id);
  EXPECT_EQ(*o->server_id, kServer);
  EXPECT_EQ(o->lease_s, 86400u);
  EXPECT_EQ(o->vendor_class, "PXEClient");
  EXPECT_EQ(o->tftp_server, "10.255.255.254");
  EXPECT_EQ(o->boot_file, "pxelinux.0");
  EXPECT_EQ(e.src_mac, kServerMac);
  EXPECT_EQ(*e.src_ip4, kServer);
}

TEST(FrameParser, BootFileAndServerNameFromTheBootpFields) {
  Dhcp d = offer();
  d.sname = "tftp.lab", d.file = "ipxe.efi";
  const BootEvent e = parse(server_frame(d, kServerMac, kServer));
  const DhcpInfo* o = e.dhcp();
  ASSERT_NE(o, nullptr);
  EXPECT_EQ(o->tftp_server, "tftp.lab");
  EXPECT_EQ(o->boot_file, "ipxe.efi");
}

TEST(FrameParser, NakDeclineAndTextMadePrintable) {
  Dhcp n;
  n.op = 2, n.type = 6;
  n.opt_ip(54, kServer).opt_str(56, "wrong\x1b[2Jnetwork\n");
  const BootEvent e = parse(server_frame(n, kServerMac, kServer, true));
  ASSERT_NE(e.dhcp(), nullptr);
  EXPECT_EQ(e.dhcp()->type, DhcpType::Nak);
  EXPECT_EQ(e.dhcp()->message, "wrong?[2Jnetwork ");
  EXPECT_TRUE(e.dst_mac.broadcast());

  Dhcp dec;
  dec.type = 4;
  dec.opt_ip(50, ip(10, 254, 0, 1)).opt_ip(54, kServer);
  const BootEvent de = parse(client_frame(dec));
  const DhcpInfo* d = de.dhcp();
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->type, DhcpType::Decline);
  EXPECT_EQ(d->requested_ip->str(), "10.254.0.1");
  EXPECT_EQ(d->server_id->str(), "10.255.255.254");
}

// A frame the lab's traffic generator sends (tests/lab/src/labsim/traffic, dhcpFrame:
// DISCOVER for 00:50:56:80:00:01 "testvm1", xid 0xdeadbeef), byte for byte.
TEST(FrameParser, TheLabsDiscover) {
  const std::string hex =
      "ffffffffffff005056800001080045000148beef00004011bab600000000ffffffff00440043013491b701010600dead"
      "beef00000000000000000000000000000000000000000050568000010000000000000000000000000000000000000000"
      "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
      "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
      "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
      "0000000000000000000000000000000000000000000000000000000000000000000000000000638253633501013d0701"
      "0050568000010c0774657374766d3137080103060f1c333a3bff00000000000000000000000000000000000000000000"
      "000000000000";
  Bytes f;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) f.push_back(static_cast<uint8_t>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  const BootEvent e = parse(f);
  ASSERT_EQ(e.kind, EventKind::Dhcp) << e.problem;
  EXPECT_EQ(e.dhcp()->type, DhcpType::Discover);
  EXPECT_EQ(e.dhcp()->xid, 0xdeadbeefu);
  EXPECT_EQ(e.dhcp()->client_mac.str(), "00:50:56:80:00:01");
  EXPECT_EQ(e.dhcp()->hostname, "testvm1");
  EXPECT_FALSE(e.truncated);
}

// A snaplen cut keeps what the captured part says: xid, op, addresses; the type only
// when the options' start (a leading option 53) was captured.
TEST(FrameParser, DhcpCutBySnaplen) {
  const Bytes full = server_frame(offer(), kServerMac, kServer);
  const auto cut = [&](size_t n) {
    return parse_boot_frame(std::span(full.data(), n), 7, static_cast<uint32_t>(full.size()));
  };
  BootEvent e = cut(128);
  ASSERT_EQ(e.kind, EventKind::Dhcp) << e.problem;
  EXPECT_TRUE(e.truncated);
  EXPECT_FALSE(e.dhcp()->options_complete);
  EXPECT_EQ(e.dhcp()->xid, 0x11223344u);
  EXPECT_EQ(e.dhcp()->yiaddr.str(), "10.170.0.1");
  EXPECT_EQ(e.dhcp()->client_mac, kVm);
  EXPECT_EQ(e.dhcp()->type, DhcpType::None);
  EXPECT_NE(e.problem.find("cut after 86 bytes"), std::string::npos) << e.problem;

  e = cut(14 + 20 + 8 + 243 + 3);  // option 53 captured, option 54 cut
  ASSERT_NE(e.dhcp(), nullptr);
  EXPECT_EQ(e.dhcp()->type, DhcpType::Offer);
  EXPECT_FALSE(e.dhcp()->server_id);

  e = cut(30);  // inside the IPv4 header
  EXPECT_EQ(e.kind, EventKind::Other);
  EXPECT_TRUE(e.truncated);
}

// Every prefix of every kind of frame, cut by a snaplen, is an event and never
// "malformed"; without the original length the same prefixes never crash.
TEST(FrameParser, EveryPrefixIsTruncatedNotMalformed) {
  Dhcp pxe = offer();
  pxe.opt_str(66, "10.255.255.254").opt_str(67, "pxelinux.0");
  const std::vector<Bytes> frames = {
      client_frame(discover()),
      server_frame(pxe, kServerMac, kServer),
      arp(1, kVm, kZero, Mac{}, ip(10, 1, 2, 3), kBroadcast),
      ethernet(kServerMac, kVm, 0x0800, ipv4(ip(10, 170, 0, 1), kServer, 17, udp(2070, 69, tftp_rrq("pxelinux.0")))),
      ethernet(kVm, kServerMac, 0x0800, ipv4(kServer, ip(10, 170, 0, 1), 17, udp(49152, 2070, tftp_error(1, "File not found")))),
      router_solicitation(kVm),
      dhcpv6_solicit(kVm, 0xabcdef),
      ethernet(kBroadcast, kVm, 0x0800, ipv4(kZero, kBcast, 17, udp(68, 67, discover().bytes())), 42),
  };
  for (const Bytes& f : frames) {
    for (size_t n = 0; n < f.size(); ++n) {
      const std::span<const uint8_t> part(f.data(), n);
      const BootEvent e = parse_boot_frame(part, 0, static_cast<uint32_t>(f.size()));
      EXPECT_NE(e.kind, EventKind::Malformed) << n << " of " << f.size() << ": " << e.problem;
      parse_boot_frame(part, 0);
    }
  }
}

TEST(FrameParser, DhcpWhoseOptionsDoNotAddUp) {
  Dhcp d = discover();
  Bytes f = client_frame(d);
  // The END option becomes an option 77 of 200 bytes, past the frame's end.
  const size_t end = 14 + 20 + 8 + 240 + 3 + 9 + 9 + 6;
  ASSERT_EQ(f[end], 255);
  f[end] = 77, f[end + 1] = 200;
  const BootEvent e = parse(f);
  ASSERT_EQ(e.kind, EventKind::Dhcp);
  EXPECT_FALSE(e.dhcp()->options_complete);
  EXPECT_EQ(e.dhcp()->type, DhcpType::Discover);
  EXPECT_FALSE(e.truncated);
  EXPECT_NE(e.problem.find("do not add up"), std::string::npos) << e.problem;

  // Not BOOTP at all on port 67.
  const Bytes junk = ethernet(kBroadcast, kVm, 0x0800, ipv4(kZero, kBcast, 17, udp(68, 67, {7, 7, 7, 7, 7, 7, 7, 7, 7})));
  EXPECT_EQ(parse(junk).kind, EventKind::Malformed);
}

TEST(FrameParser, ArpKinds) {
  const Mac other = mac("02:00:5e:00:00:99");
  const Ipv4 a = ip(10, 254, 0, 1);
  struct Case {
    Bytes frame;
    ArpKind kind;
  } cases[] = {
      {arp(1, kVm, kZero, Mac{}, a, kBroadcast), ArpKind::Probe},
      {arp(1, kVm, a, Mac{}, a, kBroadcast), ArpKind::Announcement},
      {arp(1, kVm, a, Mac{}, kServer, kBroadcast), ArpKind::Request},
      {arp(2, other, a, kVm, kZero, kVm), ArpKind::Reply},
      {arp(2, other, a, kBroadcast, a, kBroadcast), ArpKind::GratuitousReply},
      {arp(3, kVm, kZero, kVm, kZero, kBroadcast, 0x8035), ArpKind::Rarp},
      {arp(9, kVm, a, Mac{}, a, kBroadcast), ArpKind::Other},
  };
  for (const Case& c : cases) {
    const BootEvent e = parse(c.frame);
    ASSERT_EQ(e.kind, EventKind::Arp) << e.problem;
    EXPECT_EQ(e.arp()->kind, c.kind) << describe(e);
  }
  const BootEvent r = parse(cases[3].frame);
  EXPECT_EQ(r.arp()->sender_mac, other);
  EXPECT_EQ(r.arp()->sender_ip, a);
  EXPECT_EQ(r.arp()->target_mac, kVm);

  Bytes token_ring = cases[0].frame;
  token_ring[15] = 6;  // hardware type 6
  EXPECT_EQ(parse(token_ring).kind, EventKind::Malformed);
}

TEST(FrameParser, VlanTagAndIpOptions) {
  const BootEvent tagged = parse(ethernet(kBroadcast, kVm, 0x0800, ipv4(kZero, kBcast, 17, udp(68, 67, discover().bytes())), 42));
  ASSERT_EQ(tagged.kind, EventKind::Dhcp) << tagged.problem;
  EXPECT_EQ(tagged.vlan, 42);
  EXPECT_EQ(tagged.ethertype, 0x0800);

  // IPv4 options (NOPs and an EOL) are skipped by their length, whatever they hold.
  for (const Bytes& options : {Bytes{1, 1, 1, 0}, Bytes{0, 0, 0, 0}, Bytes{7, 3, 1, 1}, Bytes{0x94, 4, 0, 0, 1, 1, 1, 1}}) {
    const BootEvent e = parse(ethernet(kBroadcast, kVm, 0x0800, ipv4(kZero, kBcast, 17, udp(68, 67, discover().bytes()), options)));
    ASSERT_EQ(e.kind, EventKind::Dhcp) << e.problem;
    EXPECT_EQ(e.dhcp()->xid, 0x11223344u);
  }
}

TEST(FrameParser, Fragments) {
  Bytes later = ipv4(kZero, kBcast, 17, udp(68, 67, discover().bytes()));
  put16(later, 6, 0x0010);  // offset 16 * 8
  BootEvent e = parse(ethernet(kBroadcast, kVm, 0x0800, later));
  EXPECT_EQ(e.kind, EventKind::Ip);
  EXPECT_EQ(e.problem, "IPv4: a later fragment");

  Bytes first = ipv4(kZero, kBcast, 17, udp(68, 67, discover().bytes()));
  put16(first, 6, 0x2000);  // more fragments
  e = parse(ethernet(kBroadcast, kVm, 0x0800, first));
  EXPECT_TRUE(e.truncated);
}

TEST(FrameParser, Tftp) {
  const Ipv4 vm = ip(10, 170, 0, 1);
  BootEvent e = parse(ethernet(kServerMac, kVm, 0x0800, ipv4(vm, kServer, 17, udp(2070, 69, tftp_rrq("pxelinux.0")))));
  ASSERT_EQ(e.kind, EventKind::Tftp);
  EXPECT_EQ(e.tftp()->op, TftpOp::Rrq);
  EXPECT_EQ(e.tftp()->file, "pxelinux.0");
  EXPECT_EQ(e.tftp()->mode, "octet");
  EXPECT_EQ(e.src_port, 2070);

  e = parse(ethernet(kVm, kServerMac, 0x0800, ipv4(kServer, vm, 17, udp(49152, 2070, tftp_error(1, "File not found")))));
  ASSERT_EQ(e.kind, EventKind::Tftp);
  EXPECT_EQ(e.tftp()->op, TftpOp::Error);
  EXPECT_EQ(e.tftp()->error_code, 1);
  EXPECT_EQ(e.tftp()->error_message, "File not found");

  e = parse(ethernet(kVm, kServerMac, 0x0800, ipv4(kServer, vm, 17, udp(49152, 2070, tftp_data(3, 376)))));
  ASSERT_EQ(e.kind, EventKind::Tftp);
  EXPECT_EQ(e.tftp()->block, 3);
  EXPECT_EQ(e.tftp()->data_len, 376u);

  // The same bytes from a well-known port are not TFTP; an RRQ needs port 69.
  e = parse(ethernet(kVm, kServerMac, 0x0800, ipv4(kServer, vm, 17, udp(53, 2070, tftp_error(1, "File not found")))));
  EXPECT_EQ(e.kind, EventKind::Ip);
  e = parse(ethernet(kServerMac, kVm, 0x0800, ipv4(vm, kServer, 17, udp(2070, 6969, tftp_rrq("x")))));
  EXPECT_EQ(e.kind, EventKind::Ip);
  // An ERROR whose message is not NUL-terminated is not one.
  Bytes bad = tftp_error(1, "x");
  bad.back() = 'y';
  e = parse(ethernet(kVm, kServerMac, 0x0800, ipv4(kServer, vm, 17, udp(49152, 2070, bad))));
  EXPECT_EQ(e.kind, EventKind::Ip);
}

TEST(FrameParser, Ipv6RouterSolicitationAndDhcpv6) {
  BootEvent e = parse(router_solicitation(kVm));
  ASSERT_EQ(e.kind, EventKind::Icmpv6) << e.problem;
  EXPECT_EQ(e.icmpv6()->type, 133);
  EXPECT_EQ(e.src_ip6->str(), "fe80::250:56ff:feaa:1");
  EXPECT_EQ(e.dst_ip6->str(), "ff02::2");

  e = parse(dhcpv6_solicit(kVm, 0xabcdef));
  ASSERT_EQ(e.kind, EventKind::Dhcpv6) << e.problem;
  EXPECT_EQ(e.dhcpv6()->msg_type, 1);
  EXPECT_EQ(e.dhcpv6()->xid, 0xabcdefu);
  ASSERT_TRUE(e.dhcpv6()->client_mac);
  EXPECT_EQ(*e.dhcpv6()->client_mac, kVm);
  EXPECT_EQ(e.dst_ip6->str(), "ff02::1:2");
  EXPECT_EQ(describe(e), "DHCPv6 SOLICIT xid 0xabcdef");
}

TEST(FrameParser, ShortAndOddFrames) {
  EXPECT_EQ(parse({}).kind, EventKind::Malformed);
  EXPECT_EQ(parse(Bytes(13, 0xff)).kind, EventKind::Malformed);
  const BootEvent cut = parse_boot_frame(Bytes(13, 0xff), 0, 60);
  EXPECT_EQ(cut.kind, EventKind::Other);
  EXPECT_TRUE(cut.truncated);
  EXPECT_EQ(parse(ethernet(kBroadcast, kVm, 0x88cc, Bytes(40, 1))).kind, EventKind::Other);  // LLDP
  Bytes v5 = ipv4(kZero, kBcast, 17, udp(68, 67, {}));
  v5[0] = 0x55;
  EXPECT_EQ(parse(ethernet(kBroadcast, kVm, 0x0800, v5)).kind, EventKind::Malformed);
  Bytes short_total = ipv4(kZero, kBcast, 17, udp(68, 67, {}));
  put16(short_total, 2, 12);
  EXPECT_EQ(parse(ethernet(kBroadcast, kVm, 0x0800, short_total)).kind, EventKind::Malformed);
}

// Random damage to real frames is always an event (what the fuzz target does at scale).
TEST(FrameParser, RandomDamageNeverThrows) {
  std::mt19937 rng(20);
  const std::vector<Bytes> frames = {client_frame(discover()), server_frame(offer(), kServerMac, kServer),
                                     router_solicitation(kVm), dhcpv6_solicit(kVm, 1)};
  for (int i = 0; i < 20000; ++i) {
    Bytes f = frames[static_cast<size_t>(i) % frames.size()];
    const int flips = 1 + static_cast<int>(rng() % 8);
    for (int k = 0; k < flips; ++k) f[rng() % f.size()] = static_cast<uint8_t>(rng());
    f.resize(rng() % (f.size() + 1));
    EXPECT_NO_THROW(parse_boot_frame(f, i, static_cast<uint32_t>(rng() % 2000)));
  }
}

}  // namespace
}  // namespace vmc::report

namespace vmc::report {
namespace {

// The lab's frames of every boot scenario (testdata/lab-frames.txt, made by the lab's
// own builders) read as the scenario means them.
TEST(FrameParser, TheLabsScenarioFrames) {
  std::ifstream in(std::string(VMC_SOURCE_DIR) + "/src/report/testdata/lab-frames.txt");
  ASSERT_TRUE(in) << "testdata/lab-frames.txt";
  std::map<std::string, BootEvent> ev;
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    const auto sp = line.find(' ');
    std::vector<uint8_t> f;
    for (size_t i = sp + 1; i + 1 < line.size(); i += 2) f.push_back(static_cast<uint8_t>(std::stoi(line.substr(i, 2), nullptr, 16)));
    ev[line.substr(0, sp)] = parse_boot_frame(f, 0);
  }
  const std::map<std::string, std::string> want = {
      {"nak", "DHCP NAK xid 0x01020304 00:50:56:80:00:01 server 10.255.255.254"},
      {"init-reboot", "DHCP REQUEST xid 0x01020304 00:50:56:80:00:01 requested 192.168.1.1"},
      {"decline", "DHCP DECLINE xid 0x05060708 00:50:56:80:00:01 server 10.255.255.254 requested 10.254.0.1"},
      {"pxe-offer", "DHCP OFFER xid 0x0a0b0c0d 00:50:56:80:00:01 server 10.255.255.254 yiaddr 10.128.0.1"},
      {"pxe-discover", "DHCP DISCOVER xid 0x0a0b0c0d 00:50:56:80:00:01"},
      {"arp-probe", "ARP probe 00:50:56:80:00:01 0.0.0.0 -> 00:00:00:00:00:00 10.254.0.1"},
      {"arp-defend", "ARP reply 02:00:5e:00:00:99 10.254.0.1 -> 00:50:56:80:00:01 0.0.0.0"},
      {"arp-announce", "ARP announcement 00:50:56:80:00:01 10.128.0.1 -> 00:00:00:00:00:00 10.128.0.1"},
      {"tftp-rrq", "TFTP RRQ pxelinux.0"},
      {"tftp-error", "TFTP ERROR 1 File not found"},
      {"rs", "ICMPv6 type 133"},
      {"solicit", "DHCPv6 SOLICIT xid 0xabcdef"},
      {"rarp", "ARP RARP 00:50:56:80:00:01 0.0.0.0 -> 00:50:56:80:00:01 0.0.0.0"},
  };
  ASSERT_EQ(ev.size(), want.size());
  for (const auto& [name, text] : want) {
    const BootEvent& e = ev[name];
    EXPECT_EQ(describe(e), text) << name << ": " << e.problem;
    EXPECT_FALSE(e.truncated) << name;
  }
  const DhcpInfo* pxe = ev["pxe-offer"].dhcp();
  EXPECT_EQ(pxe->vendor_class, "PXEClient");
  EXPECT_EQ(pxe->tftp_server, "10.255.255.254");
  EXPECT_EQ(pxe->boot_file, "pxelinux.0");
  EXPECT_EQ(ev["pxe-discover"].dhcp()->vendor_class, "PXEClient:Arch:00000:UNDI:002001");
  EXPECT_EQ(ev["nak"].dhcp()->message, "requested address not on this network");
  EXPECT_TRUE(ev["nak"].dst_mac.broadcast());
  EXPECT_EQ(*ev["solicit"].dhcpv6()->client_mac, ev["rs"].src_mac);
}

}  // namespace
}  // namespace vmc::report
