#include "vsphere/watch_updates.h"

#include <gtest/gtest.h>

#include "vsphere/datetime.h"
#include "vsphere/test_fake_wire.h"
#include "vsphere/vim_client.h"

namespace vmc::vsphere {
namespace {

using testing::FakeWire;

// One WaitForUpdatesEx reply as the watcher's filter produces it: the event page, a VM
// that moved and changed power, a host's port groups, and a VM that left.
const char* kUpdate = R"(<WaitForUpdatesExResponse xmlns="urn:vim25"><returnval><version>3</version><filterSet><filter type="PropertyFilter">session[1]f</filter><objectSet><kind>modify</kind><obj type="EventHistoryCollector">session[1]ec</obj><changeSet><name>latestPage</name><op>assign</op><val xsi:type="ArrayOfEvent"><Event xsi:type="DrsVmMigratedEvent"><key>905</key><chainId>900</chainId><createdTime>2026-11-26T08:00:05.250Z</createdTime><userName></userName><datacenter><name>dc1</name><datacenter type="Datacenter">datacenter-3</datacenter></datacenter><computeResource><name>c1</name><computeResource type="ClusterComputeResource">domain-c8</computeResource></computeResource><host><name>esx02</name><host type="HostSystem">host-22</host></host><vm><name>testvm1</name><vm type="VirtualMachine">vm-42</vm></vm><fullFormattedMessage>Migrating testvm1 from esx01 to esx02</fullFormattedMessage><template>false</template><sourceHost><name>esx01</name><host type="HostSystem">host-21</host></sourceHost></Event><Event xsi:type="VmResettingEvent"><key>901</key><chainId>901</chainId><createdTime>2026-11-26T08:00:01Z</createdTime><userName>admin</userName><host><name>esx01</name><host type="HostSystem">host-21</host></host><vm><name>testvm1</name><vm type="VirtualMachine">vm-42</vm></vm><template>false</template></Event><Event xsi:type="EventEx"><key>903</key><chainId>903</chainId><createdTime>2026-11-26T08:00:03Z</createdTime><userName></userName><vm><name>testvm1</name><vm type="VirtualMachine">vm-42</vm></vm><eventTypeId>com.vmware.vc.ha.VmRestartedByHAEvent</eventTypeId><severity>warning</severity></Event><Event xsi:type="AlarmStatusChangedEvent"><key>902</key><chainId>902</chainId><createdTime>2026-11-26T08:00:02Z</createdTime><userName></userName></Event></val></changeSet></objectSet><objectSet><kind>modify</kind><obj type="VirtualMachine">vm-42</obj><changeSet><name>runtime.host</name><op>assign</op><val type="HostSystem" xsi:type="ManagedObjectReference">host-22</val></changeSet><changeSet><name>runtime.powerState</name><op>assign</op><val xsi:type="VirtualMachinePowerState">poweredOn</val></changeSet><changeSet><name>runtime.bootTime</name><op>assign</op><val xsi:type="xsd:dateTime">2026-11-26T08:00:04Z</val></changeSet></objectSet><objectSet><kind>modify</kind><obj type="HostSystem">host-22</obj><changeSet><name>config.network.portgroup</name><op>assign</op><val xsi:type="ArrayOfHostPortGroup"><HostPortGroup><key>key-vim.host.PortGroup-VM Network</key><port><key>key-vim.host.PortGroup.Port-33554450</key><mac>00:50:56:a0:2c:7e</mac><type>virtualMachine</type></port><vswitch>key-vim.host.VirtualSwitch-vSwitch0</vswitch><spec><name>VM Network</name><vlanId>0</vlanId><vswitchName>vSwitch0</vswitchName></spec></HostPortGroup></val></changeSet></objectSet><objectSet><kind>leave</kind><obj type="VirtualMachine">vm-7</obj></objectSet></filterSet></returnval></WaitForUpdatesExResponse>)";

TEST(BatchFromUpdate, SplitsVmsHostsAndEvents) {
  FakeWire wire;
  SoapBinding binding("https://vc/sdk", &wire);
  VimClient vim(binding);
  wire.reply_body("WaitForUpdatesEx", kUpdate);
  auto u = vim.wait_for_updates({"PropertyCollector", "propertyCollector"}, "2", 30);
  ASSERT_TRUE(u.ok()) << u.error().message;
  ASSERT_NE(*u, nullptr);
  UpdateBatch b = batch_from_update(**u);

  EXPECT_TRUE(b.saw_event_page);
  ASSERT_EQ(b.events.size(), 4u);  // oldest (lowest key) first
  EXPECT_EQ(b.events[0].key, 901);
  EXPECT_EQ(b.events[0].type, "VmResettingEvent");
  EXPECT_EQ(b.events[0].vm, (model::MoRef{"VirtualMachine", "vm-42"}));
  EXPECT_EQ(b.events[0].vm_name, "testvm1");
  EXPECT_EQ(b.events[0].host, (model::MoRef{"HostSystem", "host-21"}));
  EXPECT_EQ(format_datetime(b.events[0].created), "2026-11-26T08:00:01.000000Z");
  EXPECT_EQ(b.events[1].type, "Event");  // AlarmStatusChangedEvent: not in the subset
  EXPECT_EQ(b.events[2].type, "EventEx");
  EXPECT_EQ(b.events[2].event_type_id, "com.vmware.vc.ha.VmRestartedByHAEvent");
  EXPECT_EQ(b.events[3].type, "DrsVmMigratedEvent");
  EXPECT_EQ(b.events[3].source_host, (model::MoRef{"HostSystem", "host-21"}));
  EXPECT_EQ(b.events[3].host, (model::MoRef{"HostSystem", "host-22"}));
  EXPECT_EQ(b.events[3].message, "Migrating testvm1 from esx01 to esx02");
  EXPECT_EQ(format_datetime(b.events[3].created), "2026-11-26T08:00:05.250000Z");

  ASSERT_EQ(b.vms.size(), 2u);
  EXPECT_EQ(b.vms[0].vm.value, "vm-42");
  EXPECT_EQ(b.vms[0].host, (model::MoRef{"HostSystem", "host-22"}));
  EXPECT_EQ(b.vms[0].power, model::PowerState::On);
  ASSERT_TRUE(b.vms[0].boot_time && *b.vms[0].boot_time);
  EXPECT_EQ(format_datetime(**b.vms[0].boot_time), "2026-11-26T08:00:04.000000Z");
  EXPECT_FALSE(b.vms[0].nics);
  EXPECT_FALSE(b.vms[0].removed);
  EXPECT_EQ(b.vms[1].vm.value, "vm-7");
  EXPECT_TRUE(b.vms[1].removed);

  ASSERT_EQ(b.host_ports.size(), 1u);
  EXPECT_EQ(b.host_ports[0].first.value, "host-22");
  ASSERT_EQ(b.host_ports[0].second.size(), 1u);
  EXPECT_EQ(b.host_ports[0].second[0].port_id, 33554450);

  // Through the translator: one merged, ordered stream.
  EventTranslator tr;
  tr.watch({"VirtualMachine", "vm-42"});
  VmObservation before;
  before.vm = {"VirtualMachine", "vm-42"};
  before.host = model::MoRef{"HostSystem", "host-21"};
  before.power = model::PowerState::On;
  before.nics = std::vector<model::NicInfo>{};
  before.nics->push_back({4000, "Network adapter 1", "00:50:56:a0:2c:7e", "VM Network", "", "", true});
  tr.observe_vm(before, *parse_datetime("2026-11-26T07:59:00Z"));
  std::vector<model::VmEvent> out;
  auto at = *parse_datetime("2026-11-26T08:00:06Z");
  for (const auto& e : b.events) for (auto& x : tr.observe_event(e)) out.push_back(x);
  for (const auto& o : b.vms) for (auto& x : tr.observe_vm(o, at)) out.push_back(x);
  for (const auto& [h, p] : b.host_ports) for (auto& x : tr.observe_host_ports(h, p, at)) out.push_back(x);
  order_events(out);
  std::vector<std::string> got;
  for (const auto& e : out) got.push_back(std::string(model::to_string(e.kind)) + " " + e.source);
  EXPECT_EQ(got, (std::vector<std::string>{
                     std::string(model::to_string(model::VmEventKind::Reset)) + " event:VmResettingEvent",
                     std::string(model::to_string(model::VmEventKind::PoweredOn)) +
                         " event:EventEx:com.vmware.vc.ha.VmRestartedByHAEvent",
                     std::string(model::to_string(model::VmEventKind::Moved)) + " event:DrsVmMigratedEvent",
                     std::string(model::to_string(model::VmEventKind::PortsChanged)) +
                         " property:config.network.portgroup"}));
}

}  // namespace
}  // namespace vmc::vsphere
