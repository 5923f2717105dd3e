#include "vsphere/vcenter.h"

#include <gtest/gtest.h>

#include "vsphere/test_cassette.h"
#include "vsphere/test_fake_wire.h"

namespace vmc::vsphere {
namespace {

using testing::FakeWire;
using testing::recorded;

class NoSleep : public Sleeper {
 public:
  void sleep(std::chrono::milliseconds d) override { slept.push_back(d.count()); }
  std::vector<long long> slept;
};

std::string props_reply(const std::string& type, const std::string& id, const std::string& props) {
  return "<RetrievePropertiesExResponse xmlns=\"urn:vim25\"><returnval><objects><obj type=\"" + type +
         "\">" + id + "</obj>" + props + "</objects></returnval></RetrievePropertiesExResponse>";
}
std::string name_parent(const std::string& name, const std::string& ptype, const std::string& pid) {
  return "<propSet><name>name</name><val xsi:type=\"xsd:string\">" + name +
         "</val></propSet><propSet><name>parent</name><val type=\"" + ptype +
         "\" xsi:type=\"ManagedObjectReference\">" + pid + "</val></propSet>";
}

struct Fixture {
  FakeWire wire;
  NoSleep sleeper;
  std::unique_ptr<VCenter> vc;
  Fixture() {
    wire.reply("GET /sdk/vimServiceVersions.xml", testing::as_http(recorded("basic_container_view.yaml", 0)));
    wire.reply("RetrieveServiceContent", testing::as_http(recorded("basic_connection.yaml", 0)));
    wire.reply("Login", testing::as_http(recorded("basic_connection.yaml", 1)));
    auto r = VCenter::connect({"https://vcsa/sdk", "my_user", "my_password", "", false, ""}, &wire, &sleeper);
    EXPECT_TRUE(r.ok()) << r.error().message;
    if (r.ok()) vc = std::move(r.value());
  }
};

TEST(VCenter, AmbiguousNameListsCandidatesWithPaths) {
  Fixture f;
  ASSERT_TRUE(f.vc);
  f.wire.reply_body("CreateContainerView", R"(<CreateContainerViewResponse xmlns="urn:vim25"><returnval type="ContainerView">session[1]v</returnval></CreateContainerViewResponse>)");
  f.wire.reply_body("RetrievePropertiesEx",
                    R"(<RetrievePropertiesExResponse xmlns="urn:vim25"><returnval><objects><obj type="VirtualMachine">vm-42</obj><propSet><name>name</name><val xsi:type="xsd:string">web</val></propSet></objects><objects><obj type="VirtualMachine">vm-43</obj><propSet><name>name</name><val xsi:type="xsd:string">web</val></propSet></objects><objects><obj type="VirtualMachine">vm-44</obj><propSet><name>name</name><val xsi:type="xsd:string">db</val></propSet></objects></returnval></RetrievePropertiesExResponse>)");
  f.wire.reply_body("DestroyView", R"(<DestroyViewResponse xmlns="urn:vim25"></DestroyViewResponse>)");
  // Paths: vm-42 in /dc1/vm/prod, vm-43 in /dc1/vm.
  f.wire.reply_body("RetrievePropertiesEx", props_reply("VirtualMachine", "vm-42", name_parent("web", "Folder", "group-v7")));
  f.wire.reply_body("RetrievePropertiesEx", props_reply("Folder", "group-v7", name_parent("prod", "Folder", "group-v3")));
  f.wire.reply_body("RetrievePropertiesEx", props_reply("Folder", "group-v3", name_parent("vm", "Datacenter", "datacenter-2")));
  f.wire.reply_body("RetrievePropertiesEx", props_reply("Datacenter", "datacenter-2", name_parent("dc1", "Folder", "group-d1")));
  f.wire.reply_body("RetrievePropertiesEx", props_reply("VirtualMachine", "vm-43", name_parent("web", "Folder", "group-v3")));
  f.wire.reply_body("RetrievePropertiesEx", props_reply("Folder", "group-v3", name_parent("vm", "Datacenter", "datacenter-2")));
  f.wire.reply_body("RetrievePropertiesEx", props_reply("Datacenter", "datacenter-2", name_parent("dc1", "Folder", "group-d1")));
  auto r = f.vc->find_vm("web");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "vm.ambiguous");
  EXPECT_EQ(r.error().message,
            "2 VMs are named 'web'; give the inventory path or id of one of them:\n"
            "  /dc1/vm/prod/web (vm-42)\n  /dc1/vm/web (vm-43)");
}

TEST(VCenter, UnknownNameIsNotFound) {
  Fixture f;
  ASSERT_TRUE(f.vc);
  f.wire.reply_body("CreateContainerView", R"(<CreateContainerViewResponse xmlns="urn:vim25"><returnval type="ContainerView">session[1]v</returnval></CreateContainerViewResponse>)");
  f.wire.reply_body("RetrievePropertiesEx", R"(<RetrievePropertiesExResponse xmlns="urn:vim25"></RetrievePropertiesExResponse>)");
  f.wire.reply_body("DestroyView", R"(<DestroyViewResponse xmlns="urn:vim25"></DestroyViewResponse>)");
  auto r = f.vc->find_vm("ghost");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "vm.not-found");
  EXPECT_NE(r.error().message.find("'ghost'"), std::string::npos);
}

TEST(VCenter, TaskFaultBecomesTheError) {
  Fixture f;
  ASSERT_TRUE(f.vc);
  f.wire.reply_body("RetrievePropertiesEx", props_reply("Task", "task-9", R"(<propSet><name>info</name><val xsi:type="TaskInfo"><key>task-9</key><task type="Task">task-9</task><descriptionId>x</descriptionId><state>running</state><cancelled>false</cancelled><cancelable>false</cancelable><reason xsi:type="TaskReasonUser"><userName>u</userName></reason><queueTime>2026-11-26T08:00:00Z</queueTime><eventChainId>1</eventChainId></val></propSet>)"));
  f.wire.reply_body("RetrievePropertiesEx", props_reply("Task", "task-9", R"(<propSet><name>info</name><val xsi:type="TaskInfo"><key>task-9</key><task type="Task">task-9</task><descriptionId>x</descriptionId><state>error</state><cancelled>false</cancelled><cancelable>false</cancelable><error><fault xsi:type="NoPermission"><object type="ClusterComputeResource">domain-c8</object><privilegeId>Host.Inventory.EditCluster</privilegeId></fault><localizedMessage>Permission to perform this operation was denied.</localizedMessage></error><reason xsi:type="TaskReasonUser"><userName>u</userName></reason><queueTime>2026-11-26T08:00:00Z</queueTime><eventChainId>1</eventChainId></val></propSet>)"));
  auto st = f.vc->wait_task({"Task", "task-9"});
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, "NoPermission");
  EXPECT_EQ(st.error().message, "Permission to perform this operation was denied.");
  EXPECT_EQ(f.sleeper.slept, std::vector<long long>{100});
}

TEST(VCenter, TaskPollWaitsLongerEachTimeUpToOneSecond) {
  Fixture f;
  ASSERT_TRUE(f.vc);
  auto task_info = [](const std::string& state) {
    return props_reply("Task", "task-9", R"(<propSet><name>info</name><val xsi:type="TaskInfo"><key>task-9</key><task type="Task">task-9</task><descriptionId>x</descriptionId><state>)" + state + R"(</state><cancelled>false</cancelled><cancelable>false</cancelable><reason xsi:type="TaskReasonUser"><userName>u</userName></reason><queueTime>2026-11-26T08:00:00Z</queueTime><eventChainId>1</eventChainId></val></propSet>)");
  };
  for (int i = 0; i < 6; ++i) f.wire.reply_body("RetrievePropertiesEx", task_info("running"));
  f.wire.reply_body("RetrievePropertiesEx", task_info("success"));
  auto st = f.vc->wait_task({"Task", "task-9"});
  ASSERT_TRUE(st.ok()) << st.error().message;
  EXPECT_EQ(f.sleeper.slept, (std::vector<long long>{100, 200, 400, 800, 1000, 1000}));
}

TEST(VCenter, TaskTimeoutQuotesTheServersStateSanitized) {
  Fixture f;
  ASSERT_TRUE(f.vc);
  f.wire.reply_body("RetrievePropertiesEx", props_reply("Task", "task-9", R"(<propSet><name>info</name><val xsi:type="TaskInfo"><key>task-9</key><task type="Task">task-9</task><descriptionId>x</descriptionId><state>queued&#10;)" "\x1b[2J" R"(</state><cancelled>false</cancelled><cancelable>false</cancelable><reason xsi:type="TaskReasonUser"><userName>u</userName></reason><queueTime>2026-11-26T08:00:00Z</queueTime><eventChainId>1</eventChainId></val></propSet>)"));
  auto st = f.vc->wait_task({"Task", "task-9"}, std::chrono::seconds(0));
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, "vsphere.task-timeout");
  EXPECT_EQ(st.error().message, "task task-9 still queued ?[2J after 0 s");
}

TEST(VCenter, TaskFaultMessageIsSanitizedBeforeItIsShown) {
  // localizedMessage is the server's text: a hostile or broken vCenter must not put
  // terminal escapes or line breaks into our messages, nor flood them.
  Fixture f;
  ASSERT_TRUE(f.vc);
  const std::string filler(3000, 'x');
  f.wire.reply_body("RetrievePropertiesEx", props_reply("Task", "task-9", R"(<propSet><name>info</name><val xsi:type="TaskInfo"><key>task-9</key><task type="Task">task-9</task><descriptionId>x</descriptionId><state>error</state><cancelled>false</cancelled><cancelable>false</cancelable><error><fault xsi:type="NoPermission"><object type="ClusterComputeResource">domain-c8</object><privilegeId>Host.Inventory.EditCluster</privilegeId></fault><localizedMessage>denied&#10;FAKE: all good&#13;&#9;)" "\x1b[2J\xC2\x9B" + filler + R"(</localizedMessage></error><reason xsi:type="TaskReasonUser"><userName>u</userName></reason><queueTime>2026-11-26T08:00:00Z</queueTime><eventChainId>1</eventChainId></val></propSet>)"));
  auto st = f.vc->wait_task({"Task", "task-9"});
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, "NoPermission");
  const std::string& m = st.error().message;
  EXPECT_EQ(0u, m.find("denied FAKE: all good  ?[2J?xxx")) << m;
  for (unsigned char c : m) {
    ASSERT_TRUE(c >= 0x20 && c != 0x7f) << "control byte " << static_cast<int>(c) << " in " << m;
  }
  EXPECT_LT(m.size(), 1100u);
  EXPECT_NE(std::string::npos, m.find("bytes)")) << m;
}

}  // namespace
}  // namespace vmc::vsphere
