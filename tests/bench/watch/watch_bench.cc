// Watch-scale benchmark, our side: the product's vsphere library (vmc_vsphere) watching
// every VM of a lab inventory with one Watcher, as `capture` does for the VMs it follows.
//
//   vmc_bench_watch LAB_JSON CHANGE_VM
//
// Prints one line of key=value figures:
//   vms            VMs watched (every VM of lab.json)
//   login_ms       connect + login (TLS verified with the lab CA)
//   first_ms       watch() + the first next_events() returning: the VMs' properties
//   sync_ms        until the watcher's view is complete: its second update, after it
//                  rebuilt the filter with the VMs' hosts (their port lists) and the
//                  event collector's first page
//   change_ms      `curl -X POST CONTROL/vm/CHANGE_VM/reset` started -> the first event
//                  about that VM reported (the reset, or its port change)
//   change_kind    that event's kind and source
//   rss_before_kb  VmHWM after login, before watching
//   peak_rss_kb    VmHWM at the end (the kernel's peak resident set of this process)
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "vsphere/vcenter.h"

namespace {

using Clock = std::chrono::steady_clock;

long hwm_kb() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::atol(line.c_str() + 6);
  return -1;
}

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
  using namespace vmc;
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s LAB_JSON CHANGE_VM\n", argv[0]);
    return 2;
  }
  nlohmann::json lab;
  {
    std::ifstream f(argv[1]);
    if (!f) {
      std::fprintf(stderr, "cannot read %s\n", argv[1]);
      return 2;
    }
    lab = nlohmann::json::parse(f);
  }
  const std::string change_vm = argv[2];
  std::vector<model::MoRef> refs;
  model::MoRef target;
  for (const auto& v : lab.at("vms")) {
    refs.push_back({"VirtualMachine", v.at("moref").get<std::string>()});
    if (v.at("name") == change_vm) target = refs.back();
  }
  if (target.value.empty()) {
    std::fprintf(stderr, "no VM %s in %s\n", change_vm.c_str(), argv[1]);
    return 2;
  }

  const auto& v = lab.at("vcenter");
  vsphere::ConnectOptions o;
  o.url = v.at("url");
  o.user = v.at("user");
  o.password = v.at("password");
  o.ca_file = v.at("ca_cert");
  auto t0 = Clock::now();
  auto vc = vsphere::VCenter::connect(o);
  if (!vc.ok()) {
    std::fprintf(stderr, "connect: %s\n", vc.error().message.c_str());
    return 1;
  }
  const double login_ms = ms_since(t0);
  const long rss_before = hwm_kb();

  t0 = Clock::now();
  auto w = (*vc)->watch(refs);
  if (!w.ok()) {
    std::fprintf(stderr, "watch: %s\n", w.error().message.c_str());
    return 1;
  }
  auto first = (*w)->next_events(std::chrono::seconds(60));
  if (!first.ok()) {
    std::fprintf(stderr, "first update: %s\n", first.error().message.c_str());
    return 1;
  }
  const double first_ms = ms_since(t0);
  // The first update names the VMs' hosts; the watcher then adds the hosts' port lists
  // to its filter, whose full state is the next update (immediate).
  auto second = (*w)->next_events(std::chrono::seconds(5));
  if (!second.ok()) {
    std::fprintf(stderr, "second update: %s\n", second.error().message.c_str());
    return 1;
  }
  const double sync_ms = ms_since(t0);
  // Drain anything pending (the event collector's first page, late updates).
  for (int i = 0; i < 3; ++i) {
    auto more = (*w)->next_events(std::chrono::seconds(1));
    if (!more.ok() || more->empty()) break;
  }

  // One change among them, made through the lab's control endpoint by another process.
  const std::string cmd = "curl -sf -o /dev/null -X POST '" + lab.at("control").get<std::string>() +
                          "/vm/" + change_vm + "/reset'";
  const auto t_change = Clock::now();
  std::thread poster([&] {
    if (std::system(cmd.c_str()) != 0) std::fprintf(stderr, "change failed: %s\n", cmd.c_str());
  });
  double change_ms = -1;
  std::string kind;
  while (Clock::now() - t_change < std::chrono::seconds(30) && change_ms < 0) {
    auto evs = (*w)->next_events(std::chrono::seconds(5));
    if (!evs.ok()) {
      std::fprintf(stderr, "next_events: %s\n", evs.error().message.c_str());
      break;
    }
    for (const auto& e : *evs) {
      if (e.vm != target) continue;
      change_ms = ms_since(t_change);
      kind = std::string(model::to_string(e.kind)) + "(" + e.source + ")";
      break;
    }
  }
  poster.join();

  std::printf("vms=%zu login_ms=%.0f first_ms=%.0f sync_ms=%.0f change_ms=%.0f change_kind=%s "
              "rss_before_kb=%ld peak_rss_kb=%ld\n",
              refs.size(), login_ms, first_ms, sync_ms, change_ms, kind.c_str(), rss_before, hwm_kb());
  return change_ms < 0 ? 1 : 0;
}
