// VimClient against canned replies shaped like vCenter's (same element order, xsi:types
// and extra elements the subset does not declare), through the real gSOAP code.

#include "vsphere/vim_client.h"

#include <gtest/gtest.h>

#include "vsphere/datetime.h"
#include "vsphere/test_fake_wire.h"
#include "vsphere/vim_convert.h"
#include "vsphere/vim_types.h"

namespace vmc::vsphere {
namespace {

using testing::FakeWire;

const model::MoRef kPc{"PropertyCollector", "propertyCollector"};
const model::MoRef kVm{"VirtualMachine", "vm-42"};

struct Fixture {
  FakeWire wire;
  SoapBinding binding{"https://vc.example.com/sdk", &wire};
  VimClient vim{binding};
};

bool contains(const std::string& hay, const std::string& needle) {
  return hay.find(needle) != std::string::npos;
}

// Two NICs as vCenter 8 describes them: a vmxnet3 on a standard port group and an
// e1000e on a distributed port group, plus a disk. slotInfo, resourceAllocation and
// other elements are not in the subset and must be skipped.
const char* kDevicesReply = R"(<RetrievePropertiesExResponse xmlns="urn:vim25"><returnval><objects><obj type="VirtualMachine">vm-42</obj><propSet><name>config.hardware.device</name><val xsi:type="ArrayOfVirtualDevice"><VirtualDevice xsi:type="VirtualDisk"><key>2000</key><deviceInfo><label>Hard disk 1</label><summary>16,777,216 KB</summary></deviceInfo><backing xsi:type="VirtualDiskFlatVer2BackingInfo"><fileName>[ds1] testvm1/testvm1.vmdk</fileName><datastore type="Datastore">datastore-11</datastore></backing><controllerKey>1000</controllerKey><unitNumber>0</unitNumber><capacityInKB>16777216</capacityInKB></VirtualDevice><VirtualDevice xsi:type="VirtualVmxnet3"><key>4000</key><deviceInfo><label>Network adapter 1</label><summary>VM Network</summary></deviceInfo><backing xsi:type="VirtualEthernetCardNetworkBackingInfo"><deviceName>VM Network</deviceName><useAutoDetect>false</useAutoDetect><network type="Network">network-13</network></backing><connectable><migrateConnect>unset</migrateConnect><startConnected>true</startConnected><allowGuestControl>true</allowGuestControl><connected>true</connected><status>ok</status></connectable><slotInfo xsi:type="VirtualDevicePciBusSlotInfo"><pciSlotNumber>192</pciSlotNumber></slotInfo><controllerKey>100</controllerKey><unitNumber>7</unitNumber><numaNode>0</numaNode><addressType>assigned</addressType><macAddress>00:50:56:A0:2C:7E</macAddress><wakeOnLanEnabled>true</wakeOnLanEnabled><resourceAllocation><reservation>0</reservation><share><shares>50</shares><level>normal</level></share><limit>-1</limit></resourceAllocation><uptCompatibilityEnabled>true</uptCompatibilityEnabled></VirtualDevice><VirtualDevice xsi:type="VirtualE1000e"><key>4001</key><deviceInfo><label>Network adapter 2</label><summary>DVSwitch: 50 2a 6c 8f</summary></deviceInfo><backing xsi:type="VirtualEthernetCardDistributedVirtualPortBackingInfo"><port><switchUuid>50 2a 6c 8f 3f 49 8e 0d-6c 11 c1 55 79 60 7b 04</switchUuid><portgroupKey>dvportgroup-31</portgroupKey><portKey>12</portKey><connectionCookie>1234567</connectionCookie></port></backing><connectable><startConnected>true</startConnected><allowGuestControl>true</allowGuestControl><connected>false</connected><status>untried</status></connectable><controllerKey>100</controllerKey><unitNumber>8</unitNumber><addressType>generated</addressType><macAddress>00:50:56:a0:99:01</macAddress></VirtualDevice></val></propSet><propSet><name>runtime.powerState</name><val xsi:type="VirtualMachinePowerState">poweredOn</val></propSet><propSet><name>runtime.host</name><val type="HostSystem" xsi:type="ManagedObjectReference">host-21</val></propSet><propSet><name>runtime.bootTime</name><val xsi:type="xsd:dateTime">2026-11-26T07:01:02.5Z</val></propSet><propSet><name>name</name><val xsi:type="xsd:string">testvm1</val></propSet><propSet><name>runtime.faultToleranceState</name><val xsi:type="VirtualMachineFaultToleranceState">notConfigured</val></propSet><propSet><name>summary.config.numEthernetCards</name><val xsi:type="xsd:int">2</val></propSet><propSet><name>config.template</name><val xsi:type="xsd:boolean">false</val></propSet></objects></returnval></RetrievePropertiesExResponse>)";

const xsd__anyType* prop(const std::vector<vim25__ObjectContent*>& objs, const std::string& name) {
  for (auto* o : objs) {
    for (auto* p : o->propSet) {
      if (p->name == name) return p->val;
    }
  }
  return nullptr;
}

TEST(VimClient, RetrievesVmNicsAndTypedValues) {
  Fixture f;
  f.wire.reply_body("RetrievePropertiesEx", kDevicesReply);
  auto r = f.vim.retrieve(kPc, PropertyQuery{{kVm}, {}, "VirtualMachine",
                                             {"config.hardware.device", "runtime.powerState"}});
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ(to_moref(r->at(0)->obj), kVm);

  auto nics = nics_from_devices(devices_value(prop(*r, "config.hardware.device")));
  ASSERT_EQ(nics.size(), 2u);
  EXPECT_EQ(nics[0].device_key, 4000);
  EXPECT_EQ(nics[0].label, "Network adapter 1");
  EXPECT_EQ(nics[0].mac, "00:50:56:a0:2c:7e");
  EXPECT_EQ(nics[0].network, "VM Network");
  EXPECT_TRUE(nics[0].dvs_uuid.empty());
  EXPECT_TRUE(nics[0].connected);
  EXPECT_EQ(nics[1].device_key, 4001);
  EXPECT_EQ(nics[1].label, "Network adapter 2");
  EXPECT_EQ(nics[1].mac, "00:50:56:a0:99:01");
  EXPECT_EQ(nics[1].network, "dvportgroup-31");
  EXPECT_EQ(nics[1].dvs_uuid, "50 2a 6c 8f 3f 49 8e 0d-6c 11 c1 55 79 60 7b 04");
  EXPECT_EQ(nics[1].dvport_key, "12");
  EXPECT_FALSE(nics[1].connected);

  EXPECT_EQ(string_value(prop(*r, "runtime.powerState")), "poweredOn");
  EXPECT_EQ(moref_value(prop(*r, "runtime.host")), (model::MoRef{"HostSystem", "host-21"}));
  auto boot = string_value(prop(*r, "runtime.bootTime"));
  ASSERT_TRUE(boot);
  EXPECT_EQ(format_datetime(*parse_datetime(*boot)), "2026-11-26T07:01:02.500000Z");
  EXPECT_EQ(string_value(prop(*r, "name")), "testvm1");
  // An enum type the subset does not declare still yields its text.
  EXPECT_EQ(string_value(prop(*r, "runtime.faultToleranceState")), "notConfigured");
  EXPECT_EQ(int_value(prop(*r, "summary.config.numEthernetCards")), 2);
  EXPECT_EQ(bool_value(prop(*r, "config.template")), false);

  const std::string& rq = f.wire.requests.at(0);
  EXPECT_TRUE(contains(rq, "<vim25:type>VirtualMachine</vim25:type>"));
  EXPECT_TRUE(contains(rq, "<vim25:pathSet>config.hardware.device</vim25:pathSet>"));
  EXPECT_TRUE(contains(rq, "type=\"VirtualMachine\">vm-42</vim25:obj>"));
}

TEST(VimClient, RetrieveFollowsContinuationTokens) {
  Fixture f;
  f.wire.reply_body("RetrievePropertiesEx",
                    R"(<RetrievePropertiesExResponse xmlns="urn:vim25"><returnval><token>tok-1</token><objects><obj type="VirtualMachine">vm-1</obj><propSet><name>name</name><val xsi:type="xsd:string">a</val></propSet></objects></returnval></RetrievePropertiesExResponse>)");
  f.wire.reply_body("ContinueRetrievePropertiesEx",
                    R"(<ContinueRetrievePropertiesExResponse xmlns="urn:vim25"><returnval><objects><obj type="VirtualMachine">vm-2</obj><propSet><name>name</name><val xsi:type="xsd:string">b</val></propSet></objects></returnval></ContinueRetrievePropertiesExResponse>)");
  auto r = f.vim.retrieve(kPc, PropertyQuery{{}, {"ContainerView", "session[x]y"}, "VirtualMachine",
                                             {"name"}});
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ(to_moref(r->at(0)->obj).value, "vm-1");
  EXPECT_EQ(to_moref(r->at(1)->obj).value, "vm-2");
  EXPECT_EQ(string_value(r->at(0)->propSet[0]->val), "a");
  EXPECT_EQ(string_value(r->at(1)->propSet[0]->val), "b");
  EXPECT_TRUE(contains(f.wire.requests.at(1), "<vim25:token>tok-1</vim25:token>"));
  // The view is traversed: a TraversalSpec with path "view".
  EXPECT_TRUE(contains(f.wire.requests.at(0), "xsi:type=\"vim25:TraversalSpec\""));
  EXPECT_TRUE(contains(f.wire.requests.at(0), "<vim25:path>view</vim25:path>"));
}

TEST(VimClient, WaitForUpdatesParsesChangesAndTimeouts) {
  Fixture f;
  f.wire.reply_body("WaitForUpdatesEx",
                    R"(<WaitForUpdatesExResponse xmlns="urn:vim25"><returnval><version>7</version><filterSet><filter type="PropertyFilter">session[1]2</filter><objectSet><kind>modify</kind><obj type="VirtualMachine">vm-42</obj><changeSet><name>runtime.host</name><op>assign</op><val type="HostSystem" xsi:type="ManagedObjectReference">host-22</val></changeSet><changeSet><name>runtime.bootTime</name><op>assign</op></changeSet></objectSet><objectSet><kind>leave</kind><obj type="VirtualMachine">vm-7</obj></objectSet></filterSet></returnval></WaitForUpdatesExResponse>)");
  f.wire.reply_body("WaitForUpdatesEx", R"(<WaitForUpdatesExResponse xmlns="urn:vim25"></WaitForUpdatesExResponse>)");
  auto u = f.vim.wait_for_updates(kPc, "6", 30);
  ASSERT_TRUE(u.ok()) << u.error().message;
  ASSERT_NE(*u, nullptr);
  EXPECT_EQ((*u)->version, "7");
  ASSERT_EQ((*u)->filterSet.size(), 1u);
  const auto& objs = (*u)->filterSet[0]->objectSet;
  ASSERT_EQ(objs.size(), 2u);
  EXPECT_EQ(objs[0]->kind, "modify");
  ASSERT_EQ(objs[0]->changeSet.size(), 2u);
  EXPECT_EQ(objs[0]->changeSet[0]->op, "assign");
  EXPECT_EQ(moref_value(objs[0]->changeSet[0]->val), (model::MoRef{"HostSystem", "host-22"}));
  EXPECT_EQ(objs[0]->changeSet[1]->val, nullptr);
  EXPECT_EQ(objs[1]->kind, "leave");
  EXPECT_TRUE(contains(f.wire.requests.at(0), "<vim25:version>6</vim25:version>"));
  EXPECT_TRUE(contains(f.wire.requests.at(0), "<vim25:maxWaitSeconds>30</vim25:maxWaitSeconds>"));

  auto none = f.vim.wait_for_updates(kPc, "7", 30);
  ASSERT_TRUE(none.ok()) << none.error().message;
  EXPECT_EQ(*none, nullptr);
}

TEST(VimClient, DrsOverrideRequestsCarryTheSubclassTypes) {
  Fixture f;
  const char* task = R"(<ReconfigureComputeResource_TaskResponse xmlns="urn:vim25"><returnval type="Task">task-9</returnval></ReconfigureComputeResource_TaskResponse>)";
  f.wire.reply_body("ReconfigureComputeResource_Task", task);
  f.wire.reply_body("ReconfigureComputeResource_Task", task);
  const model::MoRef cluster{"ClusterComputeResource", "domain-c8"};
  auto t = f.vim.reconfigure_drs_vm(cluster, "add", {kVm, true, "manual"});
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(*t, (model::MoRef{"Task", "task-9"}));
  const std::string& add = f.wire.requests.at(0);
  EXPECT_TRUE(contains(add, "<vim25:spec xsi:type=\"vim25:ClusterConfigSpecEx\">"));
  EXPECT_TRUE(contains(add, "<vim25:operation>add</vim25:operation>"));
  EXPECT_TRUE(contains(add, "type=\"VirtualMachine\">vm-42</vim25:key>"));
  EXPECT_TRUE(contains(add, "<vim25:enabled>true</vim25:enabled><vim25:behavior>manual</vim25:behavior>"));
  EXPECT_TRUE(contains(add, "<vim25:modify>true</vim25:modify>"));

  ASSERT_TRUE(f.vim.reconfigure_drs_vm(cluster, "remove", {kVm, std::nullopt, ""}).ok());
  const std::string& rm = f.wire.requests.at(1);
  EXPECT_TRUE(contains(rm, "<vim25:operation>remove</vim25:operation>"));
  EXPECT_TRUE(contains(rm, "<vim25:removeKey xsi:type=\"vim25:ManagedObjectReference\" "
                           "type=\"VirtualMachine\">vm-42</vim25:removeKey>"));
  EXPECT_FALSE(contains(rm, "<vim25:info"));
}

TEST(VimClient, ClusterConfigurationExOverrides) {
  Fixture f;
  f.wire.reply_body("RetrievePropertiesEx",
                    R"(<RetrievePropertiesExResponse xmlns="urn:vim25"><returnval><objects><obj type="ClusterComputeResource">domain-c8</obj><propSet><name>configurationEx</name><val xsi:type="ClusterConfigInfoEx"><vmSwapPlacement>vmDirectory</vmSwapPlacement><dasConfig><enabled>false</enabled></dasConfig><drsConfig><enabled>true</enabled><enableVmBehaviorOverrides>true</enableVmBehaviorOverrides><defaultVmBehavior>fullyAutomated</defaultVmBehavior><vmotionRate>3</vmotionRate><option><key>x</key><value xsi:type="xsd:string">1</value></option></drsConfig><drsVmConfig><key type="VirtualMachine">vm-42</key><enabled>true</enabled><behavior>partiallyAutomated</behavior></drsVmConfig><drsVmConfig><key type="VirtualMachine">vm-43</key><behavior>manual</behavior></drsVmConfig></val></propSet></objects></returnval></RetrievePropertiesExResponse>)");
  auto r = f.vim.retrieve(kPc, PropertyQuery{{{"ClusterComputeResource", "domain-c8"}}, {},
                                             "ClusterComputeResource", {"configurationEx"}});
  ASSERT_TRUE(r.ok()) << r.error().message;
  const xsd__anyType* v = prop(*r, "configurationEx");
  ASSERT_EQ(vim_type_name(v), "ClusterConfigInfoEx");
  model::ClusterInfo c;
  fill_cluster_config(*static_cast<const vim25__ClusterConfigInfoEx*>(v), c);
  EXPECT_TRUE(c.drs_enabled);
  EXPECT_TRUE(c.vm_overrides_enabled);
  EXPECT_EQ(c.default_behavior, "fullyAutomated");
  ASSERT_EQ(c.overrides.size(), 2u);
  EXPECT_EQ(c.overrides[0], (model::DrsVmOverride{kVm, true, "partiallyAutomated"}));
  EXPECT_EQ(c.overrides[1],
            (model::DrsVmOverride{{"VirtualMachine", "vm-43"}, std::nullopt, "manual"}));
}

TEST(VimClient, HostVmPortsLagsAndManagementAddress) {
  Fixture f;
  f.wire.reply_body("RetrievePropertiesEx",
                    R"(<RetrievePropertiesExResponse xmlns="urn:vim25"><returnval><objects><obj type="HostSystem">host-21</obj><propSet><name>config.network</name><val xsi:type="HostNetworkInfo"><proxySwitch><dvsUuid>50 2a</dvsUuid><dvsName>dvs1</dvsName><key>key-vim.host.ProxySwitch-dvs1</key><numPorts>512</numPorts><numPortsAvailable>500</numPortsAvailable><uplinkPort><key>16</key><value>lag1-0</value></uplinkPort><uplinkPort><key>17</key><value>lag1-1</value></uplinkPort><pnic>key-vim.host.PhysicalNic-vmnic2</pnic><spec><backing xsi:type="DistributedVirtualSwitchHostMemberPnicBacking"><pnicSpec><pnicDevice>vmnic2</pnicDevice><uplinkPortKey>16</uplinkPortKey><uplinkPortgroupKey>dvportgroup-30</uplinkPortgroupKey></pnicSpec><pnicSpec><pnicDevice>vmnic3</pnicDevice><uplinkPortKey>17</uplinkPortKey></pnicSpec></backing></spec><hostLag><lagKey>lag-key-1</lagKey><lagName>lag1</lagName><uplinkPort><key>16</key><value>lag1-0</value></uplinkPort><uplinkPort><key>17</key><value>lag1-1</value></uplinkPort></hostLag></proxySwitch><portgroup><key>key-vim.host.PortGroup-VM Network</key><port><key>key-vim.host.PortGroup.Port-33554442</key><mac>00:50:56:A0:2C:7E</mac><type>virtualMachine</type></port><port><key>key-vim.host.PortGroup.Port-bogus</key><mac>00:50:56:a0:00:01</mac><type>virtualMachine</type></port><vswitch>key-vim.host.VirtualSwitch-vSwitch0</vswitch><spec><name>VM Network</name><vlanId>0</vlanId><vswitchName>vSwitch0</vswitchName></spec></portgroup><pnic><key>key-vim.host.PhysicalNic-vmnic0</key><device>vmnic0</device><pci>0000:0b:00.0</pci><wakeOnLanSupported>false</wakeOnLanSupported><mac>00:0c:29:00:00:01</mac></pnic><vnic><device>vmk0</device><key>key-vim.host.VirtualNic-vmk0</key><portgroup>Management Network</portgroup><spec><ip><dhcp>false</dhcp><ipAddress>10.0.0.21</ipAddress><subnetMask>255.255.255.0</subnetMask></ip><mac>00:50:56:6e:35:94</mac></spec></vnic></val></propSet></objects></returnval></RetrievePropertiesExResponse>)");
  auto r = f.vim.retrieve(kPc, PropertyQuery{{{"HostSystem", "host-21"}}, {}, "HostSystem",
                                             {"config.network"}});
  ASSERT_TRUE(r.ok()) << r.error().message;
  const xsd__anyType* v = prop(*r, "config.network");
  auto ports = ports_from_portgroups(portgroups_value(v));
  ASSERT_EQ(ports.size(), 1u);  // the unparsable key is skipped
  EXPECT_EQ(ports[0], (model::PortInfo{33554442, "00:50:56:a0:2c:7e", "virtualMachine", "VM Network"}));
  model::HostInfo h;
  fill_host_network(*network_value(v), h);
  EXPECT_EQ(h.uplinks, std::vector<std::string>{"vmnic0"});
  ASSERT_EQ(h.lags.size(), 1u);
  EXPECT_EQ(h.lags[0].name, "lag1");
  EXPECT_EQ(h.lags[0].uplinks, (std::vector<std::string>{"vmnic2", "vmnic3"}));
  EXPECT_EQ(h.mgmt_address, "10.0.0.21");
}

TEST(VimClient, FindByInventoryPathNotFoundIsEmpty) {
  Fixture f;
  f.wire.reply_body("FindByInventoryPath", R"(<FindByInventoryPathResponse xmlns="urn:vim25"></FindByInventoryPathResponse>)");
  f.wire.reply_body("FindByInventoryPath", R"(<FindByInventoryPathResponse xmlns="urn:vim25"><returnval type="VirtualMachine">vm-42</returnval></FindByInventoryPathResponse>)");
  auto none = f.vim.find_by_inventory_path({"SearchIndex", "SearchIndex"}, "/dc1/vm/nope");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  auto found = f.vim.find_by_inventory_path({"SearchIndex", "SearchIndex"}, "/dc1/vm/testvm1");
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(**found, kVm);
  EXPECT_TRUE(contains(f.wire.requests.at(1), "<vim25:inventoryPath>/dc1/vm/testvm1</vim25:inventoryPath>"));
}

TEST(VimClient, FaultsAndBrokenRepliesBecomeErrors) {
  Fixture f;
  f.wire.fault("CurrentTime", "NotAuthenticated", "The session is not authenticated.");
  auto e1 = f.vim.current_time();
  ASSERT_FALSE(e1.ok());
  EXPECT_EQ(e1.error().code, "NotAuthenticated");
  EXPECT_EQ(e1.error().message, "The session is not authenticated.");

  f.wire.reply("CurrentTime", "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/html\r\n"
                              "Content-Length: 5\r\n\r\nbusy!");
  auto e2 = f.vim.current_time();
  ASSERT_FALSE(e2.ok());
  EXPECT_EQ(e2.error().code, "vsphere.http");
  EXPECT_TRUE(contains(e2.error().message, "503")) << e2.error().message;

  auto e3 = f.vim.current_time();  // nothing queued: the wire fails
  ASSERT_FALSE(e3.ok());
  EXPECT_EQ(e3.error().code, "vsphere.connect");

  f.wire.reply_body("CurrentTime", "<SomethingElseResponse xmlns=\"urn:vim25\"/>");
  auto e4 = f.vim.current_time();
  ASSERT_FALSE(e4.ok());
  EXPECT_EQ(e4.error().code, "vsphere.xml") << e4.error().message;

  // A body cut short inside a complete HTTP frame reads as an interrupted transfer.
  f.wire.reply_body("CurrentTime", "<CurrentTimeResponse xmlns=\"urn:vim25\"><returnval>2026-");
  auto e5 = f.vim.current_time();
  ASSERT_FALSE(e5.ok());
  EXPECT_EQ(e5.error().code, "vsphere.connect") << e5.error().message;

  f.wire.reply_body("CurrentTime", "<CurrentTimeResponse xmlns=\"urn:vim25\"><returnval>2026-11-26T07:00:00Z</returnval></CurrentTimeResponse>");
  auto ok = f.vim.current_time();
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ(*ok, "2026-11-26T07:00:00Z");
}

}  // namespace
}  // namespace vmc::vsphere
