// libFuzzer target: arbitrary bytes as vCenter's reply to one SOAP operation, read by the
// real gSOAP binding (HTTP framing, cookies, XML, faults, polymorphic values) and turned
// into plain model types by the same VCenter/Watcher code the product runs. Every other
// request of the scenario gets a fixed, valid reply, so each input reaches its operation.
//
// Input: [scenario][framing][payload...]
//   scenario % kScenarios picks the operation whose reply is the payload (table below);
//   framing % 3: 0 = the payload is the body of an HTTP 200 reply, 1 = of an HTTP 500
//   reply (SOAP faults), 2 = the payload is the whole HTTP response (status, headers).
// The free-text parsers behind the binding (API version list, fault detail, Set-Cookie,
// xsd:dateTime) also get the payload.
//
// Seeds: tests/fuzz/corpus/fuzz_soap_reply/, and tests/ci/fuzz.sh turns the recorded
// vCenter replies in ../shared/conformance into more at run time.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "vsphere/api_version.h"
#include "vsphere/datetime.h"
#include "vsphere/fault.h"
#include "vsphere/http_wire.h"
#include "vsphere/test_fake_wire.h"
#include "vsphere/vcenter.h"

namespace {

using vmc::vsphere::testing::http_response;
using vmc::vsphere::testing::operation_of;
using vmc::vsphere::testing::soap_envelope;

struct Scenario {
  const char* operation;  // whose reply is the payload
  int run;                // what the product does (see run_scenario)
};

enum Run { Connect, VmInfo, HostInfo, HostPorts, Cluster, Datastore, Task, FindName, FindMac,
           FindPath, Watch, DrsApply };

constexpr Scenario kScenarioTable[] = {
    {"GET /sdk/vimServiceVersions.xml", Connect},
    {"RetrieveServiceContent", Connect},
    {"Login", Connect},
    {"RetrievePropertiesEx", VmInfo},
    {"RetrievePropertiesEx", HostInfo},
    {"RetrievePropertiesEx", HostPorts},
    {"RetrievePropertiesEx", Cluster},
    {"RetrievePropertiesEx", Datastore},
    {"RetrievePropertiesEx", Task},
    {"RetrievePropertiesEx", FindName},
    {"RetrievePropertiesEx", FindMac},
    {"ContinueRetrievePropertiesEx", FindName},
    {"CreateContainerView", FindName},
    {"FindByInventoryPath", FindPath},
    {"WaitForUpdatesEx", Watch},
    {"CreateCollectorForEvents", Watch},
    {"CreateFilter", Watch},
    {"ReconfigureComputeResource_Task", DrsApply},
};
constexpr size_t kScenarios = sizeof kScenarioTable / sizeof kScenarioTable[0];

std::string ok_body(const std::string& inner) { return http_response(200, soap_envelope(inner)); }

// Valid replies for every operation a scenario makes besides the fuzzed one.
std::string canned(const std::string& op, const std::string& fuzzed) {
  if (op == "GET /sdk/vimServiceVersions.xml") {
    return http_response(200,
                         "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<namespaces version=\"1.0\">"
                         "<namespace><name>urn:vim25</name><version>8.0.3.0</version>"
                         "<priorVersions><version>8.0.2.0</version></priorVersions></namespace>"
                         "</namespaces>");
  }
  if (op == "RetrieveServiceContent") {
    return ok_body(
        "<RetrieveServiceContentResponse xmlns=\"urn:vim25\"><returnval>"
        "<rootFolder type=\"Folder\">group-d1</rootFolder>"
        "<propertyCollector type=\"PropertyCollector\">propertyCollector</propertyCollector>"
        "<viewManager type=\"ViewManager\">ViewManager</viewManager>"
        "<about><name>VMware vCenter Server</name><fullName>VMware vCenter Server 8.0.3</fullName>"
        "<vendor>VMware, Inc.</vendor><version>8.0.3</version><build>1</build>"
        "<osType>linux-x64</osType><productLineId>vpx</productLineId>"
        "<apiType>VirtualCenter</apiType><apiVersion>8.0.3.0</apiVersion>"
        "<instanceUuid>00000000-0000-0000-0000-000000000001</instanceUuid></about>"
        "<sessionManager type=\"SessionManager\">SessionManager</sessionManager>"
        "<eventManager type=\"EventManager\">EventManager</eventManager>"
        "<searchIndex type=\"SearchIndex\">SearchIndex</searchIndex>"
        "</returnval></RetrieveServiceContentResponse>");
  }
  if (op == "Login") {
    return http_response(
        200,
        soap_envelope("<LoginResponse xmlns=\"urn:vim25\"><returnval><key>52a1</key>"
                      "<userName>fuzz</userName><fullName>fuzz</fullName>"
                      "<loginTime>2026-11-26T08:00:00Z</loginTime>"
                      "<lastActiveTime>2026-11-26T08:00:00Z</lastActiveTime>"
                      "<locale>en</locale><messageLocale>en</messageLocale>"
                      "</returnval></LoginResponse>"),
        {"Set-Cookie: vmware_soap_session=\"52a1\"; Path=/; HttpOnly"});
  }
  if (op == "CreateContainerView") {
    return ok_body("<CreateContainerViewResponse xmlns=\"urn:vim25\"><returnval "
                   "type=\"ContainerView\">session[1]v</returnval></CreateContainerViewResponse>");
  }
  if (op == "CreateCollectorForEvents") {
    return ok_body("<CreateCollectorForEventsResponse xmlns=\"urn:vim25\"><returnval "
                   "type=\"EventHistoryCollector\">session[1]e</returnval>"
                   "</CreateCollectorForEventsResponse>");
  }
  if (op == "CreateFilter") {
    return ok_body("<CreateFilterResponse xmlns=\"urn:vim25\"><returnval "
                   "type=\"PropertyFilter\">session[1]f</returnval></CreateFilterResponse>");
  }
  if (op == "ReconfigureComputeResource_Task") {
    return ok_body("<ReconfigureComputeResource_TaskResponse xmlns=\"urn:vim25\"><returnval "
                   "type=\"Task\">task-9</returnval></ReconfigureComputeResource_TaskResponse>");
  }
  if (op == "RetrievePropertiesEx" && fuzzed == "ContinueRetrievePropertiesEx") {
    return ok_body(
        "<RetrievePropertiesExResponse xmlns=\"urn:vim25\"><returnval><token>t1</token><objects>"
        "<obj type=\"VirtualMachine\">vm-42</obj><propSet><name>name</name>"
        "<val xsi:type=\"xsd:string\">web</val></propSet></objects></returnval>"
        "</RetrievePropertiesExResponse>");
  }
  if (op == "RetrievePropertiesEx") {  // a finished task (DrsApply waits for it)
    return ok_body(
        "<RetrievePropertiesExResponse xmlns=\"urn:vim25\"><returnval><objects>"
        "<obj type=\"Task\">task-9</obj><propSet><name>info</name><val xsi:type=\"TaskInfo\">"
        "<key>task-9</key><task type=\"Task\">task-9</task><descriptionId>x</descriptionId>"
        "<state>success</state><cancelled>false</cancelled><cancelable>false</cancelable>"
        "<reason xsi:type=\"TaskReasonUser\"><userName>u</userName></reason>"
        "<queueTime>2026-11-26T08:00:00Z</queueTime><eventChainId>1</eventChainId></val>"
        "</propSet></objects></returnval></RetrievePropertiesExResponse>");
  }
  // DestroyView, DestroyPropertyFilter, DestroyCollector, SetCollectorLatestPageSize,
  // WaitForUpdatesEx (nothing changed), Logout...: an empty response element.
  std::string name = op.rfind("GET ", 0) == 0 ? "Get" : op;
  return ok_body("<" + name + "Response xmlns=\"urn:vim25\"></" + name + "Response>");
}

class FuzzWire : public vmc::vsphere::HttpWire {
 public:
  FuzzWire(std::string operation, std::string reply)
      : operation_(std::move(operation)), reply_(std::move(reply)) {}

  vmc::Result<std::string> exchange(const std::string& request) override {
    // Bounds every scenario: loops that follow the server (continuation tokens, task
    // polling, inventory paths, reconnects) end on a transport error.
    if (++exchanges_ > 200) return vmc::Error("fuzz.limit", "exchange limit reached");
    std::string op = operation_of(request);
    if (trace_) std::fprintf(stderr, "  %s%s\n", op.c_str(), op == operation_ ? " <- input" : "");
    if (op == operation_) return reply_;
    return canned(op, operation_);
  }

 private:
  std::string operation_;
  std::string reply_;
  int exchanges_ = 0;
  // FUZZ_SOAP_TRACE=1: print every exchange, to check that seeds reach their operation.
  const bool trace_ = std::getenv("FUZZ_SOAP_TRACE") != nullptr;
};

class NoSleep : public vmc::vsphere::Sleeper {
 public:
  void sleep(std::chrono::milliseconds) override {}
};

void run_scenario(int run, vmc::vsphere::VCenter& vc) {
  using vmc::model::MoRef;
  switch (run) {
    case Connect:
      break;
    case VmInfo:
      (void)vc.vm_info({"VirtualMachine", "vm-42"});
      break;
    case HostInfo:
      (void)vc.host_info({"HostSystem", "host-21"});
      break;
    case HostPorts: {
      auto ports = vc.host_ports({"HostSystem", "host-21"});
      if (ports) {
        for (const auto& p : *ports) {
          if (p.port_id <= 0) __builtin_trap();  // ports without a usable id are skipped
        }
      }
      break;
    }
    case Cluster:
      (void)vc.cluster_info({"ClusterComputeResource", "domain-c8"});
      break;
    case Datastore:
      (void)vc.datastore_info({"Datastore", "datastore-11"});
      break;
    case Task:
      (void)vc.wait_task({"Task", "task-9"}, std::chrono::seconds(2));
      break;
    case FindName:
      (void)vc.find_vm("web");
      break;
    case FindMac:
      (void)vc.find_vm("00:50:56:a0:2c:7e");
      break;
    case FindPath:
      (void)vc.find_vm("/dc1/vm/web");
      break;
    case Watch: {
      auto w = vc.watch({{"VirtualMachine", "vm-42"}, {"VirtualMachine", "vm-43"}});
      if (!w) break;
      for (int i = 0; i < 3; ++i) {
        if (!(*w)->next_events(std::chrono::seconds(1))) break;
      }
      break;
    }
    case DrsApply: {
      vmc::model::DrsVmOverride o;
      o.vm = {"VirtualMachine", "vm-42"};
      o.behavior = "manual";
      o.enabled = true;
      (void)vc.apply({"ClusterComputeResource", "domain-c8"}, "add", o);
      break;
    }
    default:
      break;
  }
}

void text_parsers(std::string_view text) {
  auto v = vmc::vsphere::pick_api_version(text);
  if (v && vmc::vsphere::compare_versions(*v, vmc::vsphere::kNewestKnownApi) > 0) __builtin_trap();
  (void)vmc::vsphere::fault_type_from_detail(text);
  auto cookie = vmc::vsphere::session_cookie_from_set_cookie(text);
  if (cookie.find_first_of("\r\n") != std::string::npos) __builtin_trap();  // header injection
  if (auto t = vmc::vsphere::parse_datetime(text)) {
    // What vm-capture writes back must read the same (years the format can carry).
    auto formatted = vmc::vsphere::format_datetime(*t);
    if (formatted.size() == 27 && formatted[0] != '-') {
      auto again = vmc::vsphere::parse_datetime(formatted);
      if (!again || *again != *t) __builtin_trap();
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const Scenario& sc = kScenarioTable[data[0] % kScenarios];
  const int framing = data[1] % 3;
  std::string payload(reinterpret_cast<const char*>(data + 2), size - 2);
  text_parsers(payload);

  std::string reply = framing == 0   ? http_response(200, payload)
                      : framing == 1 ? http_response(500, payload)
                                     : payload;
  FuzzWire wire(sc.operation, std::move(reply));
  NoSleep sleeper;
  vmc::vsphere::ConnectOptions options{"http://vcsa/sdk", "fuzz", "secret", "", false, ""};
  auto vc = vmc::vsphere::VCenter::connect(options, &wire, &sleeper);
  if (!vc) {
    // The canned replies always connect; only a fuzzed connect reply may refuse.
    if (sc.run != Connect) __builtin_trap();
    return 0;
  }
  run_scenario(sc.run, **vc);
  (void)(*vc)->logout();
  return 0;
}
