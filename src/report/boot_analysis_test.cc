#include "report/boot_analysis.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "report/frame_parser.h"
#include "report/test_frames.h"

namespace vmc::report {
namespace {

using namespace testing;  // NOLINT: the frame builders
using ::testing::HasSubstr;

constexpr int64_t kS = 1'000'000'000, kMs = 1'000'000;
constexpr int64_t kBoot = 1'700'000'000 * kS;  // the power-on, on vCenter's clock

const Mac kVm = mac("00:50:56:aa:00:01");
const Mac kOtherVm = mac("00:50:56:aa:00:02");
const Mac kServerMac = mac("02:00:5e:00:00:01");
const Mac kRogueMac = mac("02:00:5e:00:00:66");
const Mac kDefender = mac("02:00:5e:00:00:99");
const Ipv4 kServer = ip(10, 255, 255, 254);
const Ipv4 kRogue = ip(192, 168, 66, 1);
const Ipv4 kAddr = ip(10, 170, 0, 1);

/// A capture being written: frames at times relative to the boot.
struct Capture {
  std::vector<std::pair<int64_t, Bytes>> frames;

  Capture& at(int64_t t, Bytes f) {
    frames.emplace_back(kBoot + t, std::move(f));
    return *this;
  }
  Capture& client(int64_t t, uint8_t type, uint32_t xid, std::optional<Ipv4> requested = {}, std::optional<Ipv4> server = {},
                  Mac who = kVm) {
    Dhcp d;
    d.type = type, d.xid = xid, d.chaddr = who;
    d.opt(61, {1, who.b[0], who.b[1], who.b[2], who.b[3], who.b[4], who.b[5]});
    if (requested) d.opt_ip(50, *requested);
    if (server) d.opt_ip(54, *server);
    return at(t, client_frame(d));
  }
  Capture& server(int64_t t, uint8_t type, uint32_t xid, Ipv4 yiaddr, Ipv4 from = kServer, Mac from_mac = kServerMac,
                  const std::string& message = "") {
    Dhcp d;
    d.op = 2, d.type = type, d.xid = xid, d.yiaddr = yiaddr, d.siaddr = from;
    d.opt_ip(54, from);
    if (type != 6) d.opt(51, {0, 1, 0x51, 0x80});
    if (!message.empty()) d.opt_str(56, message);
    return at(t, server_frame(d, from_mac, from, type == 6));
  }
  /// DISCOVER, OFFER, REQUEST, ACK (2 ms apart), and the gratuitous ARP.
  Capture& exchange(int64_t t, uint32_t xid, Ipv4 addr = kAddr) {
    client(t, 1, xid).server(t + 2 * kMs, 2, xid, addr).client(t + 4 * kMs, 3, xid, addr, kServer);
    server(t + 6 * kMs, 5, xid, addr);
    return at(t + 8 * kMs, arp(1, kVm, addr, Mac{}, addr, kBroadcast));
  }
  Capture& ping(int64_t t, Ipv4 from = kAddr) {
    return at(t, ethernet(kServerMac, kVm, 0x0800, ipv4(from, kServer, 1, Bytes(64, 0))));
  }

  std::vector<BootEvent> events() const {
    std::vector<BootEvent> out;
    for (const auto& [t, f] : frames) out.push_back(parse_boot_frame(f, t));
    return out;
  }
};

AnalysisOptions opts() {
  AnalysisOptions o;
  o.vm_macs = {kVm};
  return o;
}

Boot boot(int64_t t = 0, BootTrigger trigger = BootTrigger::PowerOn) { return Boot{kBoot + t, trigger, "", "esx01", ""}; }

BootReport one(const Capture& c, AnalysisOptions o = opts(), std::vector<CaptureGap> gaps = {}) {
  const auto ev = c.events();
  Report r = analyze({boot()}, ev, std::move(gaps), std::move(o));
  EXPECT_EQ(r.boots.size(), 1u);
  return r.boots.at(0);
}

std::vector<std::string> kinds(const BootReport& r) {
  std::vector<std::string> out;
  for (const Finding& f : r.findings) out.push_back(to_string(f.kind));
  return out;
}

TEST(BootAnalysis, AGoodBootHasItsStoryAndNoFindings) {
  Capture c;
  c.exchange(1 * kS, 0x1234).ping(1 * kS + 200 * kMs);
  const BootReport r = one(c);
  EXPECT_THAT(kinds(r), ::testing::IsEmpty());
  EXPECT_EQ(r.events.size(), 5u);
  EXPECT_EQ(r.first_frame_ns, kBoot + 1 * kS);
  EXPECT_EQ(r.first_dhcp_ns, kBoot + 1 * kS);
  EXPECT_EQ(r.discovers, 1);
  EXPECT_EQ(r.requests, 1);
  ASSERT_EQ(r.offers.size(), 1u);
  EXPECT_EQ(r.offers[0].latency_ns, 2 * kMs);
  EXPECT_EQ(r.offers[0].offered, kAddr);
  EXPECT_EQ(r.offers[0].server, kServer);
  EXPECT_EQ(r.offers[0].server_mac, kServerMac);
  EXPECT_TRUE(r.offers[0].taken);
  ASSERT_TRUE(r.lease);
  EXPECT_EQ(r.lease->address, kAddr);
  EXPECT_EQ(r.lease->lease_s, 86400u);
  EXPECT_EQ(r.lease->at_ns, kBoot + 1 * kS + 6 * kMs);
  EXPECT_EQ(r.servers, std::vector<Ipv4>{kServer});
  EXPECT_EQ(r.first_traffic_after_lease_ns, kBoot + 1 * kS + 200 * kMs);
  EXPECT_EQ(r.from_ns, kBoot - kS);
  EXPECT_FALSE(r.to_ns);
}

TEST(BootAnalysis, NoDiscoverWithinTheDeadline) {
  Capture quiet;
  quiet.ping(5 * kS, Ipv4{});
  AnalysisOptions o = opts();
  o.capture_end_ns = kBoot + 70 * kS;
  BootReport r = one(quiet, o);
  ASSERT_THAT(kinds(r), ::testing::ElementsAre("no-discover"));
  EXPECT_EQ(r.findings[0].text, "no DHCP DISCOVER (or REQUEST) from the guest within 60.000 s of the power-on");
  EXPECT_EQ(r.findings[0].at_ns, kBoot);

  // The capture ended before the deadline: nothing to say.
  o.capture_end_ns = kBoot + 30 * kS;
  EXPECT_THAT(kinds(one(quiet, o)), ::testing::IsEmpty());

  Capture late;
  late.exchange(75 * kS, 1);
  r = one(late);
  ASSERT_THAT(kinds(r), ::testing::ElementsAre("no-discover"));
  EXPECT_THAT(r.findings[0].text, HasSubstr("only 75.000 s after the power-on"));
  o.discover_within_ns = 90 * kS;
  o.capture_end_ns.reset();
  EXPECT_THAT(kinds(one(late, o)), ::testing::IsEmpty());
}

TEST(BootAnalysis, NoOffer) {
  Capture c;
  c.client(1 * kS, 1, 7).client(5 * kS, 1, 7).client(13 * kS, 1, 7);
  const BootReport r = one(c);
  ASSERT_THAT(kinds(r), ::testing::ElementsAre("no-offer"));
  EXPECT_EQ(r.findings[0].text, "no DHCP OFFER: 3 DISCOVERs (+1.000 s to +13.000 s) went unanswered");
  EXPECT_EQ(r.discovers, 3);
}

// No server for the first seconds: the client's retransmissions, then a quick answer.
TEST(BootAnalysis, RetransmissionsBeforeTheFirstOffer) {
  Capture c;
  c.client(1 * kS, 1, 7).client(5 * kS, 1, 7).client(13 * kS, 1, 7);
  c.server(13 * kS + 2 * kMs, 2, 7, kAddr).client(13 * kS + 4 * kMs, 3, 7, kAddr, kServer);
  c.server(13 * kS + 6 * kMs, 5, 7, kAddr);
  const BootReport r = one(c);
  ASSERT_THAT(kinds(r), ::testing::ElementsAre("retransmissions"));
  EXPECT_EQ(r.findings[0].text,
            "the guest sent DISCOVER 3 times over 12.002 s before the first OFFER (xid 0x00000007): no server answered "
            "at first");
  EXPECT_EQ(r.offers[0].discovers_before, 3);
  EXPECT_EQ(r.offers[0].since_first_ns, 12 * kS + 2 * kMs);
  EXPECT_EQ(r.offers[0].latency_ns, 2 * kMs);
}

TEST(BootAnalysis, SlowServer) {
  Capture c;
  c.client(1 * kS, 1, 9).server(4 * kS, 2, 9, kAddr).client(4 * kS + 2 * kMs, 3, 9, kAddr, kServer);
  c.server(7 * kS + 2 * kMs, 5, 9, kAddr);
  const BootReport r = one(c);
  ASSERT_THAT(kinds(r), ::testing::ElementsAre("slow-server"));
  EXPECT_EQ(r.findings[0].text,
            "slow DHCP server 10.255.255.254: OFFER 3.000 s after the DISCOVER, ACK 3.000 s after the REQUEST");
  EXPECT_EQ(r.findings[0].at_ns, kBoot + 4 * kS);
  AnalysisOptions o = opts();
  o.slow_reply_ns = 5 * kS;
  EXPECT_THAT(kinds(one(c, o)), ::testing::IsEmpty());
}

TEST(BootAnalysis, TwoServersAnswer) {
  Capture c;
  c.client(1 * kS, 1, 3).server(1 * kS + 2 * kMs, 2, 3, kAddr);
  c.server(1 * kS + 3 * kMs, 2, 3, ip(192, 168, 66, 1), kRogue, kRogueMac);
  c.client(1 * kS + 4 * kMs, 3, 3, kAddr, kServer).server(1 * kS + 6 * kMs, 5, 3, kAddr);
  const BootReport r = one(c);
  ASSERT_THAT(kinds(r), ::testing::ElementsAre("multiple-servers"));
  EXPECT_EQ(r.findings[0].text,
            "2 DHCP servers answered: 10.255.255.254 (02:00:5e:00:00:01) offering 10.170.0.1, 192.168.66.1 "
            "(02:00:5e:00:00:66) offering 192.168.66.1; the guest took 10.170.0.1 from 10.255.255.254 (a rogue DHCP "
            "server?)");
  EXPECT_EQ(r.findings[0].at_ns, kBoot + 1 * kS + 3 * kMs);
  EXPECT_EQ(r.servers, (std::vector<Ipv4>{kServer, kRogue}));
  ASSERT_EQ(r.offers.size(), 2u);
  EXPECT_TRUE(r.offers[0].taken);
  EXPECT_FALSE(r.offers[1].taken);
}

// INIT-REBOOT for a remembered address of another network, NAKed; then a new exchange.
TEST(BootAnalysis, Nak) {
  Capture c;
  c.client(1 * kS, 3, 0x50, ip(192, 168, 1, 1));
  c.server(1 * kS + 2 * kMs, 6, 0x50, Ipv4{}, kServer, kServerMac, "requested address not on this network");
  c.exchange(1 * kS + 4 * kMs, 0x51);
  const BootReport r = one(c);
  ASSERT_THAT(kinds(r), ::testing::ElementsAre("nak"));
  EXPECT_EQ(r.findings[0].text,
            "DHCPNAK from 10.255.255.254 to the REQUEST for 192.168.1.1 (xid 0x00000050, +1.002 s): \"requested address "
            "not on this network\"; the guest must start over");
  EXPECT_EQ(r.first_dhcp_ns, kBoot + 1 * kS);
  EXPECT_EQ(r.lease->xid, 0x51u);
}

TEST(BootAnalysis, NoAck) {
  Capture c;
  c.client(1 * kS, 1, 4).server(1 * kS + 2 * kMs, 2, 4, kAddr).client(1 * kS + 4 * kMs, 3, 4, kAddr, kServer);
  c.client(5 * kS, 3, 4, kAddr, kServer);
  const BootReport r = one(c);
  ASSERT_THAT(kinds(r), ::testing::ElementsAre("no-ack"));
  EXPECT_EQ(r.findings[0].text,
            "REQUEST for 10.170.0.1 to 10.255.255.254 (xid 0x00000004, +1.004 s, sent 2 times) was answered by neither "
            "ACK nor NAK");
}

// The guest probes the ACK'd address, the machine using it answers, the guest DECLINEs.
TEST(BootAnalysis, DeclineAfterAnAddressConflict) {
  const Ipv4 taken = ip(10, 254, 0, 1);
  Capture c;
  c.client(1 * kS, 1, 5).server(1 * kS + 2 * kMs, 2, 5, taken).client(1 * kS + 4 * kMs, 3, 5, taken, kServer);
  c.server(1 * kS + 6 * kMs, 5, 5, taken);
  c.at(1 * kS + 500 * kMs, arp(1, kVm, Ipv4{}, Mac{}, taken, kBroadcast));
  c.at(1 * kS + 501 * kMs, arp(2, kDefender, taken, kVm, Ipv4{}, kVm));
  c.client(1 * kS + 503 * kMs, 4, 5, taken, kServer);
  c.exchange(11 * kS + 503 * kMs, 6);
  const BootReport r = one(c);
  ASSERT_THAT(kinds(r), ::testing::ElementsAre("address-conflict", "decline"));
  EXPECT_EQ(r.findings[0].text, "address conflict: 02:00:5e:00:00:99 answered the guest's ARP probe for 10.254.0.1 (+1.501 s)");
  EXPECT_EQ(r.findings[1].text,
            "DHCPDECLINE of 10.254.0.1 to 10.255.255.254 (xid 0x00000005, +1.503 s): the guest found the address in use");
  EXPECT_EQ(r.lease->address, kAddr);

  // A broadcast gratuitous ARP from the defender (not addressed to the VM) is the same.
  Capture g;
  g.exchange(1 * kS, 5, taken);
  g.at(1 * kS + 500 * kMs, arp(1, kVm, Ipv4{}, Mac{}, taken, kBroadcast));
  g.at(1 * kS + 700 * kMs, arp(1, kDefender, taken, Mac{}, taken, kBroadcast));
  EXPECT_THAT(kinds(one(g)), ::testing::ElementsAre("address-conflict"));
  // ... but not long after the probe, nor the VM's own announcement.
  Capture later;
  later.exchange(1 * kS, 5, taken);
  later.at(1 * kS + 500 * kMs, arp(1, kVm, Ipv4{}, Mac{}, taken, kBroadcast));
  later.at(3 * kS, arp(1, kVm, taken, Mac{}, taken, kBroadcast));
  later.at(30 * kS, arp(1, kDefender, taken, Mac{}, taken, kBroadcast));
  EXPECT_THAT(kinds(one(later)), ::testing::IsEmpty());
}

TEST(BootAnalysis, TftpErrorAndTransfers) {
  const Ipv4 me = kAddr;
  auto rrq = [&](const std::string& file, uint16_t port) {
    return ethernet(kServerMac, kVm, 0x0800, ipv4(me, kServer, 17, udp(port, 69, tftp_rrq(file))));
  };
  auto back = [&](uint16_t port, const Bytes& payload) {
    return ethernet(kVm, kServerMac, 0x0800, ipv4(kServer, me, 17, udp(49152, port, payload)));
  };
  Capture c;
  c.exchange(1 * kS, 8, me);
  c.at(2 * kS, rrq("pxelinux.0", 2070)).at(2 * kS + 2 * kMs, back(2070, tftp_error(1, "File not found")));
  c.at(3 * kS, rrq("ipxe.efi", 2071)).at(3 * kS + 2 * kMs, back(2071, tftp_data(1, 512)));
  c.at(3 * kS + 4 * kMs, back(2071, tftp_data(2, 100)));
  c.at(4 * kS, back(3000, tftp_error(2, "Access violation")));  // answers no request of the VM
  const BootReport r = one(c);
  ASSERT_THAT(kinds(r), ::testing::ElementsAre("tftp-error"));
  EXPECT_EQ(r.findings[0].text, "TFTP error 1 \"File not found\" for pxelinux.0 from 10.255.255.254 (+2.002 s)");
  ASSERT_EQ(r.tftp.size(), 2u);
  EXPECT_EQ(r.tftp[0].file, "pxelinux.0");
  EXPECT_EQ(r.tftp[0].error_code, 1);
  EXPECT_FALSE(r.tftp[0].complete);
  EXPECT_EQ(r.tftp[1].file, "ipxe.efi");
  EXPECT_EQ(r.tftp[1].blocks, 2u);
  EXPECT_EQ(r.tftp[1].bytes, 612u);
  EXPECT_TRUE(r.tftp[1].complete);
  EXPECT_FALSE(r.tftp[1].error_code);
  // TFTP is not "the guest at work": the first traffic after the lease is still none.
  EXPECT_FALSE(r.first_traffic_after_lease_ns);
}

TEST(BootAnalysis, CaptureGapOverlappingTheBoot) {
  Capture c;
  c.exchange(1 * kS, 1);
  const BootReport r = one(c, opts(), {{kBoot - 10 * kS, kBoot - 5 * kS, "before"}, {kBoot + 2 * kS, kBoot + 4500 * kMs, "re-pin"}});
  ASSERT_THAT(kinds(r), ::testing::ElementsAre("capture-gap"));
  EXPECT_EQ(r.findings[0].text, "capture gap from +2.000 s to +4.500 s (2.500 s, re-pin): frames of this boot may be missing");
}

// Frames go to the boot whose window holds them (less the clock slack); other VMs'
// frames are not the story; frames before the first boot are only counted.
TEST(BootAnalysis, FramesGroupedPerBoot) {
  Capture c;
  c.client(-5 * kS, 1, 0x99);  // before the power-on's window
  c.exchange(1 * kS, 1);
  c.client(2 * kS, 1, 0x77, {}, {}, kOtherVm);  // another VM's broadcast on the port
  c.exchange(30 * kS - 500 * kMs, 2);           // just before the reset's vCenter time
  c.exchange(31 * kS, 3);
  const auto ev = c.events();
  Boot reset = boot(30 * kS, BootTrigger::Reset);
  reset.source = "VmResettingEvent";
  AnalysisOptions o = opts();
  o.capture_end_ns = kBoot + 40 * kS;
  const Report rep = analyze({reset, boot()}, ev, {}, o);  // in any order
  ASSERT_EQ(rep.boots.size(), 2u);
  EXPECT_EQ(rep.events_before_first_boot, 1);
  const BootReport& a = rep.boots[0];
  const BootReport& b = rep.boots[1];
  EXPECT_EQ(a.boot.trigger, BootTrigger::PowerOn);
  EXPECT_EQ(a.discovers, 1);
  EXPECT_EQ(a.to_ns, kBoot + 29 * kS);
  EXPECT_EQ(b.boot.source, "VmResettingEvent");
  EXPECT_EQ(b.discovers, 2);
  EXPECT_EQ(b.first_dhcp_ns, kBoot + 29500 * kMs);
  EXPECT_EQ(b.lease->xid, 3u);
  EXPECT_EQ(b.to_ns, kBoot + 40 * kS);
  for (const BootEvent& e : a.events) EXPECT_NE(e.dhcp() ? e.dhcp()->client_mac : kVm, kOtherVm);

  // Without the VM's MACs every frame is the VM's.
  o.vm_macs.clear();
  EXPECT_EQ(analyze({reset, boot()}, ev, {}, o).boots[0].discovers, 2);
}

TEST(BootAnalysis, MalformedAndCutFramesAreCounted) {
  Capture c;
  c.exchange(1 * kS, 1);
  Bytes junk = ethernet(kBroadcast, kVm, 0x0800, Bytes(30, 0));
  junk[14] = 0x55;
  c.at(2 * kS, junk);
  const auto full = client_frame(Dhcp{});
  std::vector<BootEvent> ev = c.events();
  ev.push_back(parse_boot_frame(std::span(full.data(), 100), kBoot + 3 * kS, static_cast<uint32_t>(full.size())));
  const Report rep = analyze({boot()}, ev, {}, opts());
  EXPECT_EQ(rep.boots[0].malformed, 1);
  EXPECT_EQ(rep.boots[0].truncated, 1);
  // The cut DISCOVER lost its options (and so its type): it is in the story, not counted.
  EXPECT_EQ(rep.boots[0].discovers, 1);
  ASSERT_EQ(rep.boots[0].events.size(), 6u);
  EXPECT_FALSE(rep.boots[0].events.back().dhcp()->options_complete);
}

TEST(BootAnalysis, AnalyzeFramesReadsTheBytes) {
  Capture c;
  c.exchange(1 * kS, 1).ping(2 * kS);
  std::vector<Frame> frames;
  for (const auto& [t, f] : c.frames) frames.push_back(Frame{t, f, 0});
  const Report a = analyze_frames({boot()}, frames, {}, opts());
  const Report b = analyze({boot()}, c.events(), {}, opts());
  ASSERT_EQ(a.boots.size(), 1u);
  EXPECT_EQ(a.boots[0].events.size(), b.boots[0].events.size());
  EXPECT_EQ(a.boots[0].lease->address, kAddr);
  EXPECT_EQ(a.boots[0].first_traffic_after_lease_ns, b.boots[0].first_traffic_after_lease_ns);
}

}  // namespace
}  // namespace vmc::report
