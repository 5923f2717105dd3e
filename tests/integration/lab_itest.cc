// The lab as the product sees it (issue 3): a reset made through the vSphere API gives
// testvm1 a new port that vCenter's host port list and `esxcli` over SSH both show, and
// OpenSSH + tshark read pktcap-uw's stream from the simulated ESXi hosts.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "host/port_resolver.h"
#include "host/ssh_connection.h"
#include "itest_util.h"
#include "lab_fixture.h"
#include "vsphere/connect_options.h"
#include "vm_operations.h"
#include "vsphere/vcenter.h"

namespace vmc::itest {
namespace {

Lab* lab = nullptr;

class LabEnv : public ::testing::Environment {
 public:
  void SetUp() override { lab = new Lab("--boot-dhcp-delay 200ms"); }
  void TearDown() override { delete lab; }
};
const auto* env = ::testing::AddGlobalTestEnvironment(new LabEnv);

vsphere::ConnectOptions vc_options() {
  const auto& v = lab->info().at("vcenter");
  vsphere::ConnectOptions o;
  o.url = v.at("url");
  o.user = v.at("user");
  o.password = v.at("password");
  o.ca_file = v.at("ca_cert");
  return o;
}

int64_t truth_port(const std::string& vm, const std::string& mac) {
  int64_t port = 0;
  for (const auto& r : lab->truth("port-assign"))
    if (r.value("vm", "") == vm && r.value("mac", "") == mac) port = r.at("port").get<int64_t>();
  return port;
}

std::optional<int64_t> api_port(vsphere::VCenter& vc, const model::MoRef& host,
                                const std::string& mac) {
  auto ports = vc.host_ports(host);
  EXPECT_TRUE(ports.ok()) << (ports.ok() ? "" : ports.error().message);
  if (!ports.ok()) return std::nullopt;
  for (const auto& p : *ports)
    if (p.mac == mac && p.type == "virtualMachine") return p.port_id;
  return std::nullopt;
}

TEST(LabItest, ResetThroughApiGivesNewPortSeenByApiAndEsxcli) {
  auto vc = vsphere::VCenter::connect(vc_options());
  ASSERT_TRUE(vc.ok()) << vc.error().message;
  auto vm = (*vc)->find_vm("testvm1");
  ASSERT_TRUE(vm.ok()) << vm.error().message;
  ASSERT_EQ(1u, vm->nics.size());
  const std::string mac = vm->nics[0].mac;
  ASSERT_EQ("esx01", vm->host_name);

  host::SshOptions so;
  so.host = "esx01";
  so.ssh_config = lab->info().at("ssh_config");
  so.known_hosts = lab->info().at("known_hosts");
  so.password = lab->info().at("hosts")[0].at("password").get<std::string>();
  auto ssh = host::SshConnection::connect(so);
  ASSERT_TRUE(ssh.ok()) << ssh.error().message;
  host::PortResolver resolver(**ssh);

  const int64_t before = truth_port("testvm1", mac);
  ASSERT_GT(before, 0);
  EXPECT_EQ(before, api_port(**vc, vm->host, mac));
  auto r1 = resolver.resolve({mac}, {});
  ASSERT_TRUE(r1.ok());
  ASSERT_EQ(1u, r1->ports.count(mac));
  EXPECT_EQ(before, r1->ports.at(mac).port_id);
  EXPECT_EQ("esxcli", r1->ports.at(mac).source);

  auto t0 = std::chrono::steady_clock::now();
  auto st = vm_operation(**vc, vm->ref, VmOperation::Reset);
  ASSERT_TRUE(st.ok()) << st.error().message;
  // The lab flushes truth.jsonl every 20 ms: wait for the reset's new port there.
  int64_t after = before;
  for (auto end = std::chrono::steady_clock::now() + std::chrono::seconds(5);
       after == before && std::chrono::steady_clock::now() < end;)
    if ((after = truth_port("testvm1", mac)) == before) std::this_thread::sleep_for(std::chrono::milliseconds(20));

  EXPECT_NE(before, after);
  // vCenter lists the new port on the host (the simulator publishes updates in batches).
  std::optional<int64_t> seen;
  for (int i = 0; i < 50 && seen != after; ++i) {
    seen = api_port(**vc, vm->host, mac);
    if (seen != after) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  auto api_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(after, seen);
  auto r2 = resolver.resolve({mac}, {});
  ASSERT_TRUE(r2.ok());
  ASSERT_EQ(1u, r2->ports.count(mac));
  EXPECT_EQ(after, r2->ports.at(mac).port_id);
  std::printf("reset through the API: port %lld -> %lld; vCenter listed it %lld ms after the "
              "reset call; esxcli agrees\n",
              static_cast<long long>(before), static_cast<long long>(after),
              static_cast<long long>(api_ms));
  // The old port is gone from the host.
  auto present = resolver.port_present(before, mac);
  ASSERT_TRUE(present.ok());
  EXPECT_FALSE(*present);
}

// OpenSSH with the lab's ssh_config and known_hosts (StrictHostKeyChecking yes); the
// password is given through SSH_ASKPASS, never on a command line.
std::string openssh(const std::string& host, const std::string& remote) {
  std::string askpass = lab->state_dir() + "/askpass.sh";
  {
    std::ofstream f(askpass);
    f << "#!/bin/sh\necho '" << lab->info().at("hosts")[0].at("password").get<std::string>()
      << "'\n";
  }
  chmod(askpass.c_str(), 0700);
  return "SSH_ASKPASS='" + askpass + "' SSH_ASKPASS_REQUIRE=force DISPLAY=:0 ssh -F '" +
         lab->info().at("ssh_config").get<std::string>() + "' " + host + " \"" + remote + "\"";
}

TEST(LabItest, OpenSshPktcapStreamReadsAsTwentyFramesOfTestvm1) {
  // testvm1's port and MAC as the lab has them now.
  std::string mac;
  for (const auto& v : lab->info().at("vms"))
    if (v.at("name") == "testvm1") mac = v.at("macs")[0];
  ASSERT_FALSE(mac.empty());
  const int64_t port = truth_port("testvm1", mac);
  ASSERT_GT(port, 0);
  std::string pcap = lab->state_dir() + "/openssh.pcap";
  auto r = sh(openssh("esx01", "pktcap-uw --switchport " + std::to_string(port) +
                                   " --dir 2 -o - -c 20") +
              " > '" + pcap + "' 2>/dev/null");
  ASSERT_EQ(0, r.status);
  auto t = sh("tshark -r '" + pcap + "' -T fields -e eth.src -e eth.dst 2>/dev/null");
  auto rows = lines(t.out);
  ASSERT_EQ(20u, rows.size()) << t.out;
  for (const auto& row : rows) {
    // Every frame is from or to testvm1 (or a broadcast it receives).
    EXPECT_TRUE(row.find(mac) != std::string::npos || row.find("ff:ff:ff:ff:ff:ff") != std::string::npos)
        << row;
  }
  std::printf("OpenSSH stream from esx01 port %lld: %zu frames read by tshark\n",
              static_cast<long long>(port), rows.size());
}

TEST(LabItest, Esx03RefusesDirTwoLikeEsxi65) {
  auto r = sh(openssh("esx03", "pktcap-uw --uplink vmnic0 --dir 2 -o - -c 1") + " 2>&1 >/dev/null");
  EXPECT_NE(0, r.status);
  EXPECT_NE(std::string::npos, r.out.find("Invalid direction 2")) << r.out;
  auto v = sh(openssh("esx03", "vmware -vl"));
  EXPECT_NE(std::string::npos, v.out.find("6.5")) << v.out;
}

}  // namespace
}  // namespace vmc::itest
