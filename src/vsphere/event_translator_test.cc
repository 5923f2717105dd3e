#include "vsphere/event_translator.h"

#include <gtest/gtest.h>

namespace vmc::vsphere {
namespace {

using model::MoRef;
using model::PowerState;
using model::VmEventKind;

const MoRef kVm{"VirtualMachine", "vm-42"};
const MoRef kOther{"VirtualMachine", "vm-7"};
const MoRef kH1{"HostSystem", "host-1"};
const MoRef kH2{"HostSystem", "host-2"};

model::TimePoint t(int s) { return model::TimePoint(std::chrono::seconds(1700000000 + s)); }

model::NicInfo nic(const std::string& mac) {
  model::NicInfo n;
  n.device_key = 4000;
  n.label = "Network adapter 1";
  n.mac = mac;
  n.network = "VM Network";
  return n;
}

VmObservation full(MoRef host, PowerState p, std::optional<model::TimePoint> boot,
                   std::string mac = "00:50:56:aa:bb:cc") {
  VmObservation o;
  o.vm = kVm;
  o.name = "testvm1";
  o.host = host;
  o.power = p;
  o.boot_time = boot;
  o.nics = std::vector<model::NicInfo>{nic(mac)};
  return o;
}

std::vector<VmEventKind> kinds(const std::vector<model::VmEvent>& es) {
  std::vector<VmEventKind> k;
  for (const auto& e : es) k.push_back(e.kind);
  return k;
}

RawEvent ev(int64_t key, std::string type, int at, MoRef host = kH1, MoRef source = {}) {
  RawEvent e;
  e.key = key;
  e.type = std::move(type);
  e.created = t(at);
  e.vm = kVm;
  e.vm_name = "testvm1";
  e.host = host;
  e.source_host = source;
  return e;
}

TEST(EventTranslator, FirstObservationOnlyRecordsState) {
  EventTranslator tr;
  tr.watch(kVm);
  EXPECT_TRUE(tr.observe_vm(full(kH1, PowerState::On, t(0)), t(1)).empty());
  EXPECT_EQ(tr.host_of(kVm), kH1);
}

TEST(EventTranslator, PropertyChangesBecomeEdges) {
  EventTranslator tr;
  tr.watch(kVm);
  tr.observe_vm(full(kH1, PowerState::On, t(0)), t(1));

  VmObservation moved;
  moved.vm = kVm;
  moved.host = kH2;
  auto m = tr.observe_vm(moved, t(10));
  ASSERT_EQ(kinds(m), std::vector<VmEventKind>{VmEventKind::Moved});
  EXPECT_EQ(m[0].from_host, kH1);
  EXPECT_EQ(m[0].to_host, kH2);
  EXPECT_EQ(m[0].vm_name, "testvm1");
  EXPECT_EQ(m[0].source, "property:runtime.host");
  EXPECT_EQ(m[0].at, t(10));

  VmObservation off;
  off.vm = kVm;
  off.power = PowerState::Off;
  EXPECT_EQ(kinds(tr.observe_vm(off, t(20))), std::vector<VmEventKind>{VmEventKind::PoweredOff});
  VmObservation on;
  on.vm = kVm;
  on.power = PowerState::On;
  on.boot_time = std::optional<model::TimePoint>(t(30));
  // Power-on sets a new boot time too: one PoweredOn, not an extra Reset.
  EXPECT_EQ(kinds(tr.observe_vm(on, t(30))), std::vector<VmEventKind>{VmEventKind::PoweredOn});

  VmObservation reboot;
  reboot.vm = kVm;
  reboot.boot_time = std::optional<model::TimePoint>(t(40));
  auto r = tr.observe_vm(reboot, t(41));
  ASSERT_EQ(kinds(r), std::vector<VmEventKind>{VmEventKind::Reset});
  EXPECT_EQ(r[0].source, "property:runtime.bootTime");

  VmObservation same = full(kH2, PowerState::On, t(40));
  EXPECT_TRUE(tr.observe_vm(same, t(50)).empty());  // nothing changed

  VmObservation newmac = full(kH2, PowerState::On, t(40), "00:50:56:aa:bb:cd");
  EXPECT_EQ(kinds(tr.observe_vm(newmac, t(60))), std::vector<VmEventKind>{VmEventKind::NicsChanged});

  VmObservation gone;
  gone.vm = kVm;
  gone.removed = true;
  EXPECT_EQ(kinds(tr.observe_vm(gone, t(70))), std::vector<VmEventKind>{VmEventKind::Removed});
}

TEST(EventTranslator, EventsMapToKindsAndAreDeduplicatedByKey) {
  EventTranslator tr;
  tr.watch(kVm);
  tr.observe_vm(full(kH1, PowerState::On, t(0)), t(1));
  EXPECT_EQ(kinds(tr.observe_event(ev(100, "VmResettingEvent", 5))),
            std::vector<VmEventKind>{VmEventKind::Reset});
  EXPECT_TRUE(tr.observe_event(ev(100, "VmResettingEvent", 5)).empty());  // same key again
  EXPECT_EQ(kinds(tr.observe_event(ev(101, "VmDasBeingResetEvent", 6))),
            std::vector<VmEventKind>{VmEventKind::Reset});
  EXPECT_EQ(kinds(tr.observe_event(ev(102, "VmGuestRebootEvent", 7))),
            std::vector<VmEventKind>{VmEventKind::GuestRebooted});
  EXPECT_EQ(kinds(tr.observe_event(ev(103, "VmPoweredOffEvent", 8))),
            std::vector<VmEventKind>{VmEventKind::PoweredOff});
  EXPECT_EQ(kinds(tr.observe_event(ev(104, "DrsVmPoweredOnEvent", 9))),
            std::vector<VmEventKind>{VmEventKind::PoweredOn});
  auto ha = ev(105, "EventEx", 10);
  ha.event_type_id = "com.vmware.vc.ha.VmRestartedByHAEvent";
  auto h = tr.observe_event(ha);
  ASSERT_EQ(kinds(h), std::vector<VmEventKind>{VmEventKind::PoweredOn});
  EXPECT_EQ(h[0].source, "event:EventEx:com.vmware.vc.ha.VmRestartedByHAEvent");
  EXPECT_TRUE(tr.observe_event(ev(106, "VmStartingEvent", 11)).empty());
  EXPECT_TRUE(tr.observe_event(ev(107, "VmBeingHotMigratedEvent", 11)).empty());
  auto other = ev(108, "VmResettingEvent", 12);
  other.vm = kOther;  // not watched
  EXPECT_TRUE(tr.observe_event(other).empty());
}

TEST(EventTranslator, MigrationReportedOnceWhicheverArrivesFirst) {
  EventTranslator tr;
  tr.watch(kVm);
  tr.observe_vm(full(kH1, PowerState::On, t(0)), t(1));
  // Event first: DRS moved it; the later runtime.host change adds nothing.
  auto m = tr.observe_event(ev(200, "DrsVmMigratedEvent", 5, kH2, kH1));
  ASSERT_EQ(kinds(m), std::vector<VmEventKind>{VmEventKind::Moved});
  EXPECT_EQ(m[0].from_host, kH1);
  EXPECT_EQ(m[0].to_host, kH2);
  EXPECT_EQ(m[0].source, "event:DrsVmMigratedEvent");
  VmObservation o;
  o.vm = kVm;
  o.host = kH2;
  EXPECT_TRUE(tr.observe_vm(o, t(6)).empty());
  // Property first: the move back; the VmMigratedEvent that follows adds nothing.
  o.host = kH1;
  EXPECT_EQ(kinds(tr.observe_vm(o, t(7))), std::vector<VmEventKind>{VmEventKind::Moved});
  EXPECT_TRUE(tr.observe_event(ev(201, "VmMigratedEvent", 7, kH1, kH2)).empty());
}

TEST(EventTranslator, HaRestartOnAlternateHostMovesAndPowersOn) {
  EventTranslator tr;
  tr.watch(kVm);
  tr.observe_vm(full(kH1, PowerState::On, t(0)), t(1));
  auto es = tr.observe_event(ev(300, "VmRestartedOnAlternateHostEvent", 9, kH2, kH1));
  ASSERT_EQ(kinds(es), (std::vector<VmEventKind>{VmEventKind::Moved, VmEventKind::PoweredOn}));
  EXPECT_EQ(es[0].to_host, kH2);
  EXPECT_EQ(tr.host_of(kVm), kH2);
}

TEST(EventTranslator, PortsChangedFollowsTheVmMacsOnItsHost) {
  EventTranslator tr;
  tr.watch(kVm);
  tr.observe_vm(full(kH1, PowerState::On, t(0)), t(1));
  std::vector<model::PortInfo> ports{{33554442, "00:50:56:aa:bb:cc", "virtualMachine", "VM Network"},
                                     {67108874, "00:50:56:6e:35:94", "host", "VMkernel"}};
  auto p = tr.observe_host_ports(kH1, ports, t(2));
  ASSERT_EQ(kinds(p), std::vector<VmEventKind>{VmEventKind::PortsChanged});
  EXPECT_EQ(p[0].detail, "00:50:56:aa:bb:cc@33554442");
  EXPECT_TRUE(tr.observe_host_ports(kH1, ports, t(3)).empty());      // unchanged
  EXPECT_TRUE(tr.observe_host_ports(kH2, ports, t(3)).empty());      // not its host
  ports[0].port_id = 33554450;                                        // new port after reset
  EXPECT_EQ(tr.observe_host_ports(kH1, ports, t(4)).at(0).detail, "00:50:56:aa:bb:cc@33554450");
  ports.erase(ports.begin());                                         // powered off: no port
  EXPECT_EQ(tr.observe_host_ports(kH1, ports, t(5)).at(0).detail, "no port");
}

TEST(OrderEvents, ByTimeKeepingTiesInOrder) {
  std::vector<model::VmEvent> es(3);
  es[0].at = t(5);
  es[0].detail = "a";
  es[1].at = t(1);
  es[1].detail = "b";
  es[2].at = t(5);
  es[2].detail = "c";
  order_events(es);
  EXPECT_EQ(es[0].detail, "b");
  EXPECT_EQ(es[1].detail, "a");
  EXPECT_EQ(es[2].detail, "c");
}

}  // namespace
}  // namespace vmc::vsphere
