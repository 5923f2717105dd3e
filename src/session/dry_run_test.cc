#include "session/dry_run.h"

#include <gtest/gtest.h>

namespace vmc::session {
namespace {

DryRunVm testvm1() {
  DryRunVm d;
  d.vm.ref = model::MoRef{"VirtualMachine", "vm-1"};
  d.vm.name = "testvm1";
  d.vm.path = "/dc1/vm/testvm1";
  d.vm.host_name = "esx01";
  d.vm.power = model::PowerState::On;
  d.vm.cluster = model::MoRef{"ClusterComputeResource", "c1"};
  d.vm.nics = {model::NicInfo{4000, "Network adapter 1", "00:50:56:00:00:01", "VM Network", "", "", true},
               model::NicInfo{4001, "Network adapter 2", "00:50:56:00:00:02", "VM Network", "", "", true}};
  model::HostInfo h;
  h.version = "6.5.0";
  d.host = h;
  model::ClusterInfo c;
  c.name = "cluster1";
  c.drs_enabled = true;
  c.default_behavior = "fullyAutomated";
  c.vm_overrides_enabled = true;
  d.cluster = c;
  d.ports = {DryRunPort{true, 33554436, ""}, DryRunPort{true, std::nullopt, ""}};
  return d;
}

TEST(DryRun, SaysWhatTheSessionWouldDoWithoutDoingIt) {
  model::SessionSpec spec;
  spec.output.path = "testvm1.pcapng";
  EXPECT_EQ(
      "dry run: nothing is started or changed\n"
      "VM testvm1 (vm-1, /dc1/vm/testvm1)\n"
      "  power:   poweredOn\n"
      "  host:    esx01 (ESXi 6.5.0)\n"
      "  cluster: cluster1, DRS on, VM overrides enabled\n"
      "  DRS override: none (cluster default fullyAutomated) -> manual during the session, then back to "
      "none (cluster default fullyAutomated)\n"
      "  NIC Network adapter 1  00:50:56:00:00:01  VM Network  port 33554436\n"
      "  NIC Network adapter 2  00:50:56:00:00:02  VM Network  (no port on the host)\n"
      "  pktcap-uw: two processes per NIC (--dir 0 and --dir 1), output streamed with -o -\n"
      "output:  testvm1.pcapng\n",
      format_dry_run(spec, {testvm1()}));
}

TEST(DryRun, SaysWhatCouldNotBeAsked) {
  model::SessionSpec spec;
  spec.drs.enabled = false;
  spec.output.path = "-";
  auto d = testvm1();
  d.vm.cluster = {};
  d.host_error = "esx01: cannot connect";
  d.ports = {DryRunPort{}, DryRunPort{true, std::nullopt, "esxcli failed"}};
  const auto text = format_dry_run(spec, {d});
  EXPECT_NE(std::string::npos, text.find("  cluster: none (standalone host: no DRS override)\n")) << text;
  EXPECT_NE(std::string::npos, text.find("  ports:   cannot ask esx01: esx01: cannot connect\n")) << text;
  EXPECT_NE(std::string::npos, text.find("VM Network\n")) << text;
  EXPECT_NE(std::string::npos, text.find("(port unknown: esxcli failed)")) << text;
  d.cluster->overrides = {model::DrsVmOverride{d.vm.ref, true, "partiallyAutomated"}};
  d.vm.cluster = model::MoRef{"ClusterComputeResource", "c1"};
  EXPECT_NE(std::string::npos, format_dry_run(spec, {d}).find("  DRS override: left alone (drs: none)\n"));
}

}  // namespace
}  // namespace vmc::session
