#include "host/esxcli_vm.h"

#include <gtest/gtest.h>

namespace vmc::host {
namespace {

// ---- esxcli network vm list ------------------------------------------------------------

TEST(ParseVmList, PlainTable) {
  const char* text =
      "World ID  Name                 Num Ports  Networks\n"
      "--------  -------------------  ---------  ----------------------------\n"
      "  2101364 testvm1                      1  VM Network\n"
      "  2101987 web server (prod) 2          2  VM Network, dvportgroup-1010\n"
      "  2102001 nonet                        0  \n";
  auto r = parse_vm_list(text);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->size(), 3u);
  EXPECT_EQ((*r)[0], (VmWorld{2101364, "testvm1", 1, {"VM Network"}}));
  EXPECT_EQ((*r)[1], (VmWorld{2101987, "web server (prod) 2", 2, {"VM Network", "dvportgroup-1010"}}));
  EXPECT_EQ((*r)[2], (VmWorld{2102001, "nonet", 0, {}}));
}

TEST(ParseVmList, PlainTableCrlfAndNoVms) {
  auto r = parse_vm_list(
      "World ID  Name     Num Ports  Networks\r\n"
      "--------  -------  ---------  --------\r\n"
      "   35869  vm1              1  VM Network\r\n");
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].name, "vm1");
  EXPECT_EQ((*r)[0].networks, std::vector<std::string>{"VM Network"});

  auto header_only = parse_vm_list("World ID  Name  Num Ports  Networks\n--------  ----  ---------  --------\n");
  ASSERT_TRUE(header_only.ok());
  EXPECT_TRUE(header_only->empty());
  auto empty = parse_vm_list("");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

TEST(ParseVmList, Csv) {
  const char* text =
      "Name,Networks,NumPorts,WorldID,\n"
      "testvm1,VM Network,1,2101364,\n"
      "\"a, b\",\"VM Network, dvportgroup-1010\",2,2101987,\n"
      "\"say \"\"hi\"\"\",,0,2102001,\n";
  auto r = parse_vm_list(text);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->size(), 3u);
  EXPECT_EQ((*r)[0], (VmWorld{2101364, "testvm1", 1, {"VM Network"}}));
  EXPECT_EQ((*r)[1], (VmWorld{2101987, "a, b", 2, {"VM Network", "dvportgroup-1010"}}));
  EXPECT_EQ((*r)[2], (VmWorld{2102001, "say \"hi\"", 0, {}}));
}

TEST(ParseVmList, KeyValueLists) {
  const char* text =
      "VM.Name.string=testvm1\n"
      "VM.Networks.string[]=VM Network\n"
      "VM.Networks.string[]=dv1\n"
      "VM.NumPorts.integer=2\n"
      "VM.WorldID.integer=1000100\n"
      "\n"
      "VM.Name.string=nonet\n"
      "VM.Networks.string[]=\n"
      "VM.NumPorts.integer=0\n"
      "VM.WorldID.integer=1000103\n";
  auto r = parse_vm_list(text);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0], (VmWorld{1000100, "testvm1", 2, {"VM Network", "dv1"}}));
  EXPECT_EQ((*r)[1], (VmWorld{1000103, "nonet", 0, {}}));
}

TEST(ParseVmList, RightAlignedNumbersLikeTheLab) {
  const char* text =
      "World ID  Name     Num Ports  Networks\n"
      "--------  -------  ---------  ---------------\n"
      " 1000100  testvm1          2  VM Network, dv1\n";
  auto r = parse_vm_list(text);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0], (VmWorld{1000100, "testvm1", 2, {"VM Network", "dv1"}}));
}

TEST(ParseVmList, Errors) {
  struct Case {
    const char* name;
    const char* text;
    const char* needle;
  };
  const Case cases[] = {
      {"non-numeric world id", "Name,WorldID,\nvm1,abc,\n", "World ID \"abc\""},
      {"missing world id column", "Name,NumPorts,\nvm1,1,\n", "no World ID"},
      {"truncated csv row", "Name,NumPorts,WorldID,\nvm1,1\n", "2 fields where the header has 3"},
      {"open quote", "Name,WorldID,\n\"vm1,12,\n", "not closed"},
      {"shell error", "sh: esxcli: not found\n", "no World ID"},
      {"garbage", "%%%\n", "expected \"Key: Value\""},
      {"table without dashes", "World ID  Name\nfoo\n", "expected \"Key: Value\""},
      {"misaligned row",
       "World ID  Name  Num Ports  Networks\n--------  ----  ---------  --------\n  1 averyveryverylongname 1  x\n",
       "crosses the start"},
  };
  for (const auto& c : cases) {
    auto r = parse_vm_list(c.text);
    ASSERT_FALSE(r.ok()) << c.name;
    EXPECT_EQ(r.error().code, "esxcli.parse") << c.name;
    EXPECT_NE(r.error().message.find(c.needle), std::string::npos)
        << c.name << ": " << r.error().message;
  }
}

// ---- esxcli network vm port list -----------------------------------------------------

const VmPort kPort1{33554442, "vSwitch0", "VM Network", "", "00:50:56:a1:b2:c3", "10.0.0.5",
                    "vmnic0", 33554434, ""};
const VmPort kPort2{50331659, "DSwitch", "dvportgroup-1010", "12", "00:50:56:a1:b2:c4", "0.0.0.0",
                    "lag1-0", 50331650, "vmware-filter"};

TEST(ParseVmPortList, PlainBlocksTwoNics) {
  const char* text =
      "   Port ID: 33554442\n"
      "   vSwitch: vSwitch0\n"
      "   Portgroup: VM Network\n"
      "   DVPort ID: \n"
      "   MAC Address: 00:50:56:A1:B2:C3\n"
      "   IP Address: 10.0.0.5\n"
      "   Team Uplink: vmnic0\n"
      "   Uplink Port ID: 33554434\n"
      "   Active Filters: \n"
      "\n"
      "   Port ID: 50331659\n"
      "   vSwitch: DSwitch\n"
      "   Portgroup: dvportgroup-1010\n"
      "   DVPort ID: 12\n"
      "   MAC Address: 00:50:56:a1:b2:c4\n"
      "   IP Address: 0.0.0.0\n"
      "   Team Uplink: lag1-0\n"
      "   Uplink Port ID: 50331650\n"
      "   Active Filters: vmware-filter\n"
      "\n";
  auto r = parse_vm_port_list(text);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0], kPort1);
  EXPECT_EQ((*r)[1], kPort2);
}

TEST(ParseVmPortList, PlainBlocksWithoutBlankLineCrlfAndTitles) {
  const char* text =
      "Port 1:\r\n"
      "   Port ID: 33554442\r\n"
      "   MAC Address: 00-50-56-a1-b2-c3\r\n"
      "   Port ID: 33554443\r\n"
      "   MAC Address: 00:50:56:a1:b2:c5\r\n";
  auto r = parse_vm_port_list(text);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].port_id, 33554442);
  EXPECT_EQ((*r)[0].mac, "00:50:56:a1:b2:c3");
  EXPECT_EQ((*r)[1].port_id, 33554443);
  EXPECT_FALSE((*r)[1].uplink_port_id.has_value());
}

TEST(ParseVmPortList, NoPorts) {
  for (const char* t : {"", "\n", "\r\n\r\n", "ActiveFilters,DVPortID,IPAddress,MACAddress,PortID,Portgroup,TeamUplink,UplinkPortID,vSwitch,\n"}) {
    auto r = parse_vm_port_list(t);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_TRUE(r->empty());
  }
}

TEST(ParseVmPortList, Csv) {
  const char* text =
      "ActiveFilters,DVPortID,IPAddress,MACAddress,PortID,Portgroup,TeamUplink,UplinkPortID,vSwitch,\n"
      ",,10.0.0.5,00:50:56:a1:b2:c3,33554442,VM Network,vmnic0,33554434,vSwitch0,\n"
      "vmware-filter,12,0.0.0.0,00:50:56:a1:b2:c4,50331659,dvportgroup-1010,lag1-0,50331650,DSwitch,\n";
  auto r = parse_vm_port_list(text);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0], kPort1);
  EXPECT_EQ((*r)[1], kPort2);
}

TEST(ParseVmPortList, KeyValue) {
  const char* text =
      "VirtualMachinePort.ActiveFilters.string=\n"
      "VirtualMachinePort.DVPortID.string=\n"
      "VirtualMachinePort.IPAddress.string=10.0.0.5\n"
      "VirtualMachinePort.MACAddress.string=00:50:56:a1:b2:c3\n"
      "VirtualMachinePort.PortID.integer=33554442\n"
      "VirtualMachinePort.Portgroup.string=VM Network\n"
      "VirtualMachinePort.TeamUplink.string=vmnic0\n"
      "VirtualMachinePort.UplinkPortID.integer=33554434\n"
      "VirtualMachinePort.vSwitch.string=vSwitch0\n"
      "VirtualMachinePort.ActiveFilters.string=vmware-filter\n"
      "VirtualMachinePort.DVPortID.string=12\n"
      "VirtualMachinePort.IPAddress.string=0.0.0.0\n"
      "VirtualMachinePort.MACAddress.string=00:50:56:a1:b2:c4\n"
      "VirtualMachinePort.PortID.integer=50331659\n"
      "VirtualMachinePort.Portgroup.string=dvportgroup-1010\n"
      "VirtualMachinePort.TeamUplink.string=lag1-0\n"
      "VirtualMachinePort.UplinkPortID.integer=50331650\n"
      "VirtualMachinePort.vSwitch.string=DSwitch\n";
  auto r = parse_vm_port_list(text);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0], kPort1);
  EXPECT_EQ((*r)[1], kPort2);
}

TEST(ParseVmPortList, Xml) {
  const char* text =
      "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
      "<output xmlns=\"http://www.vmware.com/Products/ESX/5.0/esxcli\">\n"
      "<root>\n"
      "   <list type=\"structure\">\n"
      "      <structure typeName=\"VirtualMachinePort\">\n"
      "         <field name=\"ActiveFilters\"><string></string></field>\n"
      "         <field name=\"DVPortID\"><string/></field>\n"
      "         <field name=\"IPAddress\"><string>10.0.0.5</string></field>\n"
      "         <field name=\"MACAddress\"><string>00:50:56:a1:b2:c3</string></field>\n"
      "         <field name=\"PortID\"><integer>33554442</integer></field>\n"
      "         <field name=\"Portgroup\"><string>VM Network</string></field>\n"
      "         <field name=\"TeamUplink\"><string>vmnic0</string></field>\n"
      "         <field name=\"UplinkPortID\"><integer>33554434</integer></field>\n"
      "         <field name=\"vSwitch\"><string>vSwitch0</string></field>\n"
      "      </structure>\n"
      "      <structure typeName=\"VirtualMachinePort\">\n"
      "         <field name=\"PortID\"><integer>50331659</integer></field>\n"
      "         <field name=\"Portgroup\"><string>a &amp; b</string></field>\n"
      "         <field name=\"MACAddress\"><string>00:50:56:a1:b2:c4</string></field>\n"
      "      </structure>\n"
      "   </list>\n"
      "</root>\n"
      "</output>\n";
  auto r = parse_vm_port_list(text);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0], kPort1);
  EXPECT_EQ((*r)[1].port_id, 50331659);
  EXPECT_EQ((*r)[1].portgroup, "a & b");
  EXPECT_EQ((*r)[1].mac, "00:50:56:a1:b2:c4");
}

TEST(ParseVmPortList, XmlListValuesAndTruncation) {
  auto recs = parse_esxcli_records(
      "<output><root><list type=\"structure\"><structure typeName=\"VM\">"
      "<field name=\"Networks\"><list type=\"string\"><string>VM Network</string>"
      "<string>dv1</string></list></field><field name=\"WorldID\"><integer>7</integer></field>"
      "</structure></list></root></output>");
  ASSERT_TRUE(recs.ok()) << recs.error().message;
  ASSERT_EQ(recs->size(), 1u);
  EXPECT_EQ((*recs)[0].at("networks"), "VM Network, dv1");
  auto vms = parse_vm_list(
      "<output><root><list type=\"structure\"><structure typeName=\"VM\">"
      "<field name=\"Networks\"><list type=\"string\"><string>VM Network</string>"
      "<string>dv1</string></list></field><field name=\"WorldID\"><integer>7</integer></field>"
      "</structure></list></root></output>");
  ASSERT_TRUE(vms.ok());
  EXPECT_EQ((*vms)[0].networks, (std::vector<std::string>{"VM Network", "dv1"}));

  auto truncated = parse_vm_port_list("<output><root><structure><field name=\"PortID\"><integer>5");
  ASSERT_FALSE(truncated.ok());
  EXPECT_NE(truncated.error().message.find("truncated"), std::string::npos);
}

TEST(ParseVmPortList, Errors) {
  struct Case {
    const char* name;
    const char* text;
    const char* needle;
  };
  const Case cases[] = {
      {"bad mac", "   Port ID: 5\n   MAC Address: 00:50:56:zz:00:01\n", "not a MAC"},
      {"dvport only", "   DVPort ID: 12\n   MAC Address: 00:50:56:00:00:01\n", "no Port ID"},
      {"port id text", "   Port ID: 0x20\n", "not a number"},
      {"port id overflow", "   Port ID: 99999999999999999999999\n", "not a number"},
      {"negative port", "   Port ID: -3\n", "not a number"},
      {"garbage line", "   Port ID: 5\nrandom words\n", "Key: Value"},
      {"keyvalue garbage", "A.PortID.integer=5\nnonsense\n", "Struct.Field.type=value"},
  };
  for (const auto& c : cases) {
    auto r = parse_vm_port_list(c.text);
    ASSERT_FALSE(r.ok()) << c.name;
    EXPECT_EQ(r.error().code, "esxcli.parse") << c.name;
    EXPECT_NE(r.error().message.find(c.needle), std::string::npos)
        << c.name << ": " << r.error().message;
  }
}

TEST(EsxcliFormat, Detection) {
  EXPECT_EQ(detect_esxcli_format("<?xml version=\"1.0\"?>"), EsxcliFormat::Xml);
  EXPECT_EQ(detect_esxcli_format("A.B.string=x"), EsxcliFormat::KeyValue);
  EXPECT_EQ(detect_esxcli_format("a,b,\n1,2,"), EsxcliFormat::Csv);
  EXPECT_EQ(detect_esxcli_format("\nWorld ID  Name\n--------  ----\n"), EsxcliFormat::Table);
  EXPECT_EQ(detect_esxcli_format("   Port ID: 5"), EsxcliFormat::Blocks);
  EXPECT_EQ(detect_esxcli_format("   IP Address: 10.0.0.1, 10.0.0.2"), EsxcliFormat::Blocks);
}

}  // namespace
}  // namespace vmc::host
