// The runtime's test fixture: one VM on esx01 (8.0.3) with esx02 (8.0.3) and esx03
// (6.5.0) in its cluster, a 60 s session of it, over the recording fakes.
#pragma once

#include <gtest/gtest.h>

#include "orchestrator/fakes_test_support.h"
#include "orchestrator/runtime.h"

namespace vmc::orchestrator::runtime_testing {

using namespace std::chrono_literals;
using fakes::FakeClock;
using fakes::FakeHosts;
using fakes::FakeJournal;
using fakes::FakeSink;
using fakes::FakeVCenter;
using fakes::FakeWorld;
using model::MoRef;
using model::VmEventKind;
using Strings = std::vector<std::string>;

inline const std::string kMac = "00:50:56:00:00:01";
inline const std::string kMac2 = "00:50:56:00:00:02";

inline model::HostInfo host(const std::string& id, const std::string& name, const std::string& version) {
  model::HostInfo h;
  h.ref = MoRef{"HostSystem", id};
  h.name = name;
  h.version = version;
  h.mgmt_address = "10.0.0." + id.substr(5);
  h.cluster = MoRef{"ClusterComputeResource", "c1"};
  h.uplinks = {"vmnic0"};
  return h;
}

inline model::VmEvent event(VmEventKind k, const std::string& source) {
  model::VmEvent e;
  e.kind = k;
  e.vm = MoRef{"VirtualMachine", "vm-1"};
  e.vm_name = "testvm1";
  e.source = source;
  return e;
}

class RuntimeTest : public ::testing::Test {
 protected:
  RuntimeTest() {
    world.hosts = {host("host-1", "esx01", "8.0.3"), host("host-2", "esx02", "8.0.3"),
                   host("host-3", "esx03", "6.5.0")};
    model::VmInfo vm;
    vm.ref = MoRef{"VirtualMachine", "vm-1"};
    vm.name = "testvm1";
    vm.host = MoRef{"HostSystem", "host-1"};
    vm.cluster = MoRef{"ClusterComputeResource", "c1"};
    vm.power = model::PowerState::On;
    vm.nics = {model::NicInfo{4000, "Network adapter 1", kMac, "VM Network", "", "", true}};
    world.vms = {vm};
    world.ssh_ports[{"host-1", kMac}] = 100;
    spec.name = "vm testvm1";
    spec.vms = {model::VmTarget{"testvm1", {}}};
    spec.stop.duration = 60s;
    options.session_id = "s1";
    options.pid = 4242;
  }

  Result<SessionSummary> run() {
    Runtime rt(spec, vcenter, hosts, clock, sink, journal, options);
    return rt.run();
  }

  // Moves the VM's NIC to a new port on `host_id` (what a reset or vMotion does).
  static std::function<void(FakeWorld&)> port(const std::string& host_id, std::optional<int64_t> id,
                                              const std::string& mac = kMac) {
    return [=](FakeWorld& w) {
      for (auto it = w.ssh_ports.begin(); it != w.ssh_ports.end();)
        it = it->first.second == mac ? w.ssh_ports.erase(it) : std::next(it);
      if (id) w.ssh_ports[{host_id, mac}] = *id;
    };
  }

  FakeWorld world;
  fakes::Log log;
  FakeClock clock;
  FakeVCenter vcenter{world, clock, log};
  FakeHosts hosts{world, log};
  FakeSink sink;
  FakeJournal journal;
  model::SessionSpec spec;
  RuntimeOptions options;
};

}  // namespace vmc::orchestrator::runtime_testing
