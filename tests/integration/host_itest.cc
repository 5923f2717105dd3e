// Issue 5 acceptance against the lab: the real SshConnection, PortResolver, pktcap-uw
// planning and control, and on-host output, driven against the simulated ESXi hosts.
// Every figure a test measures is printed ("[figure] ..."); nothing is asserted on time.
//
// One lab for the whole binary (LabEnv). Tests that change shared state (testvm1's port,
// a datastore's free space, the hosts' SSH connections) resolve or restore what they need
// themselves, so they also pass alone (--gtest_filter).
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdlib>
#include <iterator>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "capture/pcap_stream_reader.h"
#include "host/on_host_output.h"
#include "host/pktcap_args.h"
#include "host/pktcap_process.h"
#include "host/port_resolver.h"
#include "host/ps.h"
#include "host/ssh_connection.h"
#include "host/uplinks.h"
#include "lab_fixture.h"

namespace vmc::itest {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using host::HostConnection;
using host::PktcapProcess;
using host::SshConnection;

// ---- the one lab --------------------------------------------------------------------

class LabEnv : public ::testing::Environment {
 public:
  static Lab& lab() {
    if (!lab_) throw std::runtime_error("no lab (it failed to start)");
    return *lab_;
  }
  void SetUp() override {
    auto t0 = Clock::now();
    try {
      lab_ = new Lab();
    } catch (const std::exception& e) {
      FAIL() << "the lab did not start: " << e.what();
    }
    std::printf("[figure] lab ready in %lld ms (state dir %s)\n",
                static_cast<long long>(
                    std::chrono::duration_cast<milliseconds>(Clock::now() - t0).count()),
                lab_->state_dir().c_str());
  }
  void TearDown() override {
    delete lab_;
    lab_ = nullptr;
  }

 private:
  static inline Lab* lab_ = nullptr;
};

[[maybe_unused]] const auto* const kEnv = ::testing::AddGlobalTestEnvironment(new LabEnv);

Lab& lab() { return LabEnv::lab(); }

// ---- small helpers ------------------------------------------------------------------

long long ms_between(Clock::time_point a, Clock::time_point b) {
  return static_cast<long long>(std::chrono::duration_cast<milliseconds>(b - a).count());
}

/// Polls `pred` every `poll` until it is true or `limit` has passed; returns its last value.
bool wait_for(const std::function<bool()>& pred, milliseconds limit, milliseconds poll = milliseconds(20)) {
  auto deadline = Clock::now() + limit;
  while (true) {
    if (pred()) return true;
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(poll);
  }
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

const nlohmann::json& host_info(const std::string& name) {
  for (const auto& h : lab().info().at("hosts")) {
    if (h.at("name") == name) return h;
  }
  throw std::runtime_error("lab.json has no host " + name);
}

const nlohmann::json& vm_info(const std::string& name) {
  for (const auto& v : lab().info().at("vms")) {
    if (v.at("name") == name) return v;
  }
  throw std::runtime_error("lab.json has no VM " + name);
}

std::string first_mac(const std::string& vm) { return vm_info(vm).at("macs").at(0).get<std::string>(); }

host::SshOptions ssh_options(const std::string& hostname) {
  const auto& h = host_info(hostname);
  host::SshOptions o;
  o.host = hostname;  // the lab's ssh_config maps it to 127.0.0.1:PORT, user root
  o.ssh_config = lab().info().at("ssh_config").get<std::string>();
  o.known_hosts = lab().info().at("known_hosts").get<std::string>();
  o.password = h.at("password").get<std::string>();
  o.connect_timeout = std::chrono::seconds(10);
  o.reconnect_initial = milliseconds(200);
  o.reconnect_max = milliseconds(2000);
  return o;
}

std::unique_ptr<SshConnection> connect_host(const std::string& hostname) {
  auto c = SshConnection::connect(ssh_options(hostname));
  if (!c) {
    ADD_FAILURE() << "connecting to " << hostname << ": " << c.error().code << ": " << c.error().message;
    return nullptr;
  }
  return std::move(*c);
}

/// The port the lab last assigned to `mac` (truth.jsonl "port-assign"), and how many
/// assignments it has recorded for it.
std::pair<int64_t, size_t> truth_port(const std::string& mac) {
  int64_t port = 0;
  size_t n = 0;
  for (const auto& r : lab().truth("port-assign")) {
    if (lower(r.value("mac", "")) == lower(mac)) {
      port = r.at("port").get<int64_t>();
      ++n;
    }
  }
  return {port, n};
}

/// `ps -c` on the host, parsed.
std::vector<host::ProcessRow> ps_rows(HostConnection& conn) {
  auto r = conn.run({"ps", "-c"});
  if (!r) {
    ADD_FAILURE() << "ps -c: " << r.error().message;
    return {};
  }
  EXPECT_EQ(r->exit_status, 0) << r->err;
  auto rows = host::parse_ps(r->out);
  if (!rows) {
    ADD_FAILURE() << "parse_ps: " << rows.error().message << "\n" << r->out;
    return {};
  }
  return *rows;
}

bool ps_lists_pktcap(HostConnection& conn, int64_t pid) {
  auto rows = ps_rows(conn);
  auto row = host::find_process(rows, pid);
  return row && host::is_pktcap(*row);
}

/// Resolves `mac` on `conn`'s host through esxcli (no API ports given).
std::optional<host::ResolvedPort> resolve_port(HostConnection& conn, const std::string& mac,
                                               const std::string& vm_hint) {
  host::PortResolver r(conn);
  auto res = r.resolve({mac}, {}, vm_hint);
  if (!res) {
    ADD_FAILURE() << "resolve: " << res.error().message;
    return std::nullopt;
  }
  for (const auto& w : res->warnings) std::printf("  resolver warning: %s\n", w.c_str());
  for (const auto& [k, p] : res->ports) {
    if (lower(k) == lower(mac)) return p;
  }
  ADD_FAILURE() << "MAC " << mac << " not resolved on " << conn.host();
  return std::nullopt;
}

/// The MAC as 6 bytes.
std::array<uint8_t, 6> mac_bytes(const std::string& mac) {
  std::array<uint8_t, 6> b{};
  unsigned v[6] = {};
  if (std::sscanf(mac.c_str(), "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6) {
    throw std::runtime_error("bad MAC " + mac);
  }
  for (size_t i = 0; i < 6; ++i) b[i] = static_cast<uint8_t>(v[i]);
  return b;
}

/// Receives one pktcap-uw pcap stream (from the connection's I/O thread), parses it with
/// capture::PcapStreamReader and checks every frame against the direction asked for:
/// on a VM's port, --dir 0 frames leave the VM (source MAC = the VM's), --dir 1 frames go
/// to it (destination = the VM's MAC or broadcast); --dir 2 either. Frames that fit
/// neither are counted as `foreign`.
class Collector {
 public:
  Collector(std::string source, std::optional<std::string> vm_mac, std::optional<int> dir)
      : reader_(std::move(source)), dir_(dir) {
    if (vm_mac) mac_ = mac_bytes(*vm_mac);
  }

  std::function<void(std::string_view)> sink() {
    return [this](std::string_view d) { feed(d); };
  }

  void feed(std::string_view d) {
    std::lock_guard<std::mutex> g(mu_);
    reader_.push(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(d.data()), d.size()));
    while (true) {
      auto f = reader_.next();
      if (!f) {
        if (error_.empty()) error_ = f.error().code + ": " + f.error().message;
        return;
      }
      if (!*f) return;
      on_frame(**f);
    }
  }

  uint64_t frames() const { std::lock_guard<std::mutex> g(mu_); return frames_; }
  uint64_t foreign() const { std::lock_guard<std::mutex> g(mu_); return foreign_; }
  uint64_t from_vm() const { std::lock_guard<std::mutex> g(mu_); return from_vm_; }
  uint64_t to_vm() const { std::lock_guard<std::mutex> g(mu_); return to_vm_; }
  std::string error() const { std::lock_guard<std::mutex> g(mu_); return error_; }
  std::optional<Clock::time_point> first_frame_at() const { std::lock_guard<std::mutex> g(mu_); return first_at_; }
  int64_t first_ts_ns() const { std::lock_guard<std::mutex> g(mu_); return first_ts_; }
  int64_t last_ts_ns() const { std::lock_guard<std::mutex> g(mu_); return last_ts_; }
  /// finish() of the reader: an error when the stream ended inside a record.
  std::string finish_error() const {
    std::lock_guard<std::mutex> g(mu_);
    auto st = reader_.finish();
    return st ? std::string() : st.error().message;
  }

 private:
  void on_frame(const capture::FrameView& f) {
    ++frames_;
    if (!first_at_) {
      first_at_ = Clock::now();
      first_ts_ = f.ts_ns;
    }
    last_ts_ = f.ts_ns;
    if (!mac_) return;
    if (f.data.size() < 12) {
      ++foreign_;
      return;
    }
    bool dst_vm = std::equal(mac_->begin(), mac_->end(), f.data.begin());
    bool dst_bcast = std::all_of(f.data.begin(), f.data.begin() + 6, [](uint8_t b) { return b == 0xff; });
    bool src_vm = std::equal(mac_->begin(), mac_->end(), f.data.begin() + 6);
    if (src_vm) ++from_vm_;
    if (dst_vm || (dst_bcast && !src_vm)) ++to_vm_;
    bool ok = dir_ == 0 ? src_vm : dir_ == 1 ? (dst_vm || (dst_bcast && !src_vm)) : (src_vm || dst_vm || dst_bcast);
    if (!ok) ++foreign_;
  }

  mutable std::mutex mu_;
  capture::PcapStreamReader reader_;
  std::optional<std::array<uint8_t, 6>> mac_;
  std::optional<int> dir_;
  uint64_t frames_ = 0, foreign_ = 0, from_vm_ = 0, to_vm_ = 0;
  std::string error_;
  std::optional<Clock::time_point> first_at_;
  int64_t first_ts_ = 0, last_ts_ = 0;
};

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& a : v) s += (s.empty() ? "" : " ") + a;
  return s;
}

bool has_args(const std::vector<std::string>& argv, const std::string& a, const std::string& b) {
  for (size_t i = 0; i + 1 < argv.size(); ++i) {
    if (argv[i] == a && argv[i + 1] == b) return true;
  }
  return false;
}

host::PktcapRequest switchport_request(int64_t port) {
  host::PktcapRequest req;
  req.target.kind = host::TargetKind::SwitchPort;
  req.target.port_id = port;
  req.direction = model::Direction::Both;
  req.output = "-";
  return req;
}

/// "Dumped N packet ..." of a finished pktcap-uw, or -1.
int64_t dumped_count(const PktcapProcess& p) {
  auto d = p.status().dumped();
  return d ? d->number : -1;
}

std::string run_out(HostConnection& conn, const std::vector<std::string>& argv, int* status = nullptr) {
  auto r = conn.run(argv);
  if (!r) {
    ADD_FAILURE() << join(argv) << ": " << r.error().message;
    return {};
  }
  if (status) *status = r->exit_status;
  return r->out + r->err;
}

// ---- 1. port by MAC, before and after a reset ----------------------------------------

TEST(HostItest, PortFoundByMacAndAgainAfterReset) {
  auto conn = connect_host("esx01");
  ASSERT_TRUE(conn);
  HostConnection& hc = *conn;
  const std::string mac = first_mac("testvm1");
  auto [truth_before, assigns_before] = truth_port(mac);
  ASSERT_GT(truth_before, 0) << "truth.jsonl has no port-assign for " << mac;

  auto t0 = Clock::now();
  auto p = resolve_port(hc, mac, "testvm1");
  auto t1 = Clock::now();
  ASSERT_TRUE(p);
  EXPECT_EQ(p->source, "esxcli");
  EXPECT_EQ(p->port_id, truth_before);
  EXPECT_GT(p->world_id, 0);
  std::printf("[figure] esxcli: testvm1 %s -> port %lld (world %lld), truth %lld, %lld ms\n", mac.c_str(),
              static_cast<long long>(p->port_id), static_cast<long long>(p->world_id),
              static_cast<long long>(truth_before), ms_between(t0, t1));

  // The net-stats path (list_ports reads `net-stats -l`): exactly one port carries the MAC.
  host::PortResolver resolver(hc);
  auto listed = resolver.list_ports();
  ASSERT_TRUE(listed) << listed.error().message;
  std::vector<int64_t> ns_ids;
  for (const auto& hp : *listed) {
    if (lower(hp.mac) == lower(mac)) ns_ids.push_back(hp.port_id);
  }
  ASSERT_EQ(ns_ids.size(), 1u);
  EXPECT_EQ(ns_ids[0], truth_before);
  std::printf("[figure] net-stats: %zu ports listed, testvm1 on %lld\n", listed->size(),
              static_cast<long long>(ns_ids[0]));
  auto present = resolver.port_present(truth_before, mac);
  ASSERT_TRUE(present) << present.error().message;
  EXPECT_TRUE(*present);

  // Reset: the lab gives the VM a new port (its default, like a real host).
  lab().post("/vm/testvm1/reset");
  auto t_reset = Clock::now();
  ASSERT_TRUE(wait_for([&] { return truth_port(mac).second > assigns_before; }, milliseconds(15000)))
      << "the lab recorded no new port-assign for " << mac << " after the reset";
  auto truth_after = truth_port(mac).first;
  ASSERT_NE(truth_after, truth_before);

  auto p2 = resolve_port(hc, mac, "testvm1");
  auto t2 = Clock::now();
  ASSERT_TRUE(p2);
  EXPECT_EQ(p2->port_id, truth_after);
  EXPECT_NE(p2->port_id, p->port_id);
  EXPECT_NE(p2->world_id, p->world_id) << "a reset gives the VM a new world";
  std::printf("[figure] after reset: port %lld (world %lld), truth %lld, old %lld; resolved %lld ms after the reset\n",
              static_cast<long long>(p2->port_id), static_cast<long long>(p2->world_id),
              static_cast<long long>(truth_after), static_cast<long long>(truth_before), ms_between(t_reset, t2));

  auto old_present = resolver.port_present(truth_before, mac);
  ASSERT_TRUE(old_present) << old_present.error().message;
  EXPECT_FALSE(*old_present) << "the old port is gone from the host";
  auto new_present = resolver.port_present(truth_after, mac);
  ASSERT_TRUE(new_present) << new_present.error().message;
  EXPECT_TRUE(*new_present);
}

// ---- 2. planning per host version, processes run, frames arrive, ps lists them ------

struct Running {
  std::unique_ptr<Collector> col;
  std::unique_ptr<PktcapProcess> proc;
  std::optional<int> dir;
};

/// Starts every planned process on `conn`, for frames of `vm_mac` (nullopt for uplinks).
std::vector<Running> start_all(HostConnection& conn, const std::vector<host::PlannedProcess>& plan,
                               std::optional<std::string> vm_mac, const std::string& label) {
  std::vector<Running> out;
  for (const auto& pp : plan) {
    Running r;
    r.dir = pp.dir;
    r.col = std::make_unique<Collector>(label + ":dir" + std::to_string(pp.dir.value_or(-1)), vm_mac, pp.dir);
    auto p = PktcapProcess::start(conn, pp.argv, r.col->sink());
    if (!p) {
      ADD_FAILURE() << "start " << join(pp.argv) << ": " << p.error().message;
      continue;
    }
    r.proc = std::move(*p);
    out.push_back(std::move(r));
  }
  return out;
}

void check_running_and_stop(HostConnection& conn, std::vector<Running>& procs, const std::string& label,
                            uint64_t min_frames) {
  // Every process reports its PID and delivers frames.
  for (auto& r : procs) {
    ASSERT_TRUE(wait_for([&] { return r.proc->pid().has_value(); }, milliseconds(10000))) << label;
    EXPECT_TRUE(wait_for([&] { return r.col->frames() >= min_frames; }, milliseconds(20000)))
        << label << " dir " << r.dir.value_or(-1) << ": only " << r.col->frames() << " frames";
  }
  // `ps -c` on the host lists each of them, as pktcap-uw, with its own options.
  auto rows = ps_rows(conn);
  for (auto& r : procs) {
    auto row = host::find_process(rows, *r.proc->pid());
    ASSERT_TRUE(row) << label << ": ps -c does not list PID " << *r.proc->pid();
    EXPECT_TRUE(host::is_pktcap(*row)) << row->command;
    if (r.dir) {
      EXPECT_NE(row->command.find("--dir " + std::to_string(*r.dir)), std::string::npos) << row->command;
    }
    std::printf("  ps: %lld %s\n", static_cast<long long>(row->pid), row->command.c_str());
  }
  for (auto& r : procs) {
    auto rep = r.proc->stop();
    ASSERT_TRUE(rep) << rep.error().message;
    EXPECT_TRUE(rep->was_running);
    EXPECT_TRUE(rep->gone) << rep->note;
    // The stream ended on a record boundary and every frame pktcap-uw says it wrote arrived.
    ASSERT_TRUE(wait_for([&] { return r.proc->exited(); }, milliseconds(5000)));
    // A capture that saw nothing may send nothing at all: the lab's pktcap-uw keeps the
    // pcap header in its output buffer until the first frame and drops it on TERM.
    if (dumped_count(*r.proc) > 0 || r.proc->bytes() > 0) {
      EXPECT_EQ(r.col->finish_error(), "");
    } else {
      std::printf("  %s --dir %d saw no frame and sent no bytes (reader: %s)\n", label.c_str(),
                  r.dir.value_or(-1), r.col->finish_error().c_str());
    }
    EXPECT_EQ(r.col->error(), "");
    EXPECT_EQ(static_cast<int64_t>(r.col->frames()), dumped_count(*r.proc))
        << label << ": frames parsed vs pktcap-uw's Dumped count";
    EXPECT_EQ(r.col->foreign(), 0u) << label << " dir " << r.dir.value_or(-1)
                                    << ": frames of the wrong direction or another VM";
    std::printf("[figure] %s --dir %d: %llu frames (%llu from the VM, %llu to it), %llu bytes, Dumped %lld, "
                "foreign %llu, exit %s\n",
                label.c_str(), r.dir.value_or(-1), static_cast<unsigned long long>(r.col->frames()),
                static_cast<unsigned long long>(r.col->from_vm()), static_cast<unsigned long long>(r.col->to_vm()),
                static_cast<unsigned long long>(r.proc->bytes()), static_cast<long long>(dumped_count(*r.proc)),
                static_cast<unsigned long long>(r.col->foreign()),
                r.proc->exit_info() ? r.proc->exit_info()->detail.c_str() : "(none)");
  }
  auto after = ps_rows(conn);
  for (auto& r : procs) {
    EXPECT_FALSE(host::find_process(after, *r.proc->pid())) << label << ": PID " << *r.proc->pid() << " still listed";
  }
}

TEST(HostItest, PktcapPlannedPerHostVersionRunsAndDelivers) {
  // esx01: 8.0.3 -> one process with --dir 2.
  {
    const auto& h = host_info("esx01");
    const std::string version = h.at("version").get<std::string>();
    auto conn = connect_host("esx01");
    ASSERT_TRUE(conn);
    const std::string mac = first_mac("testvm1");
    auto port = resolve_port(*conn, mac, "testvm1");
    ASSERT_TRUE(port);
    auto plan = host::plan_pktcap(switchport_request(port->port_id), version);
    ASSERT_TRUE(plan) << plan.error().message;
    ASSERT_EQ(plan->size(), 1u) << "ESXi " << version;
    EXPECT_EQ((*plan)[0].dir, 2);
    EXPECT_TRUE(has_args((*plan)[0].argv, "--dir", "2")) << join((*plan)[0].argv);
    EXPECT_TRUE(has_args((*plan)[0].argv, "--switchport", std::to_string(port->port_id))) << join((*plan)[0].argv);
    std::printf("[figure] esx01 (ESXi %s): %zu process: %s\n", version.c_str(), plan->size(),
                join((*plan)[0].argv).c_str());
    auto procs = start_all(*conn, *plan, mac, "esx01:testvm1");
    ASSERT_EQ(procs.size(), 1u);
    // Both directions in the one process.
    EXPECT_TRUE(wait_for([&] { return procs[0].col->from_vm() > 0 && procs[0].col->to_vm() > 0; },
                         milliseconds(20000)));
    check_running_and_stop(*conn, procs, "esx01:testvm1", 3);
  }
  // esx03: 6.5.0 -> two processes, --dir 0 and --dir 1 (legacy01 lives there).
  {
    const auto& h = host_info("esx03");
    const std::string version = h.at("version").get<std::string>();
    ASSERT_EQ(vm_info("legacy01").at("host"), "esx03");
    auto conn = connect_host("esx03");
    ASSERT_TRUE(conn);
    const std::string mac = first_mac("legacy01");
    auto port = resolve_port(*conn, mac, "legacy01");
    ASSERT_TRUE(port);
    auto req = switchport_request(port->port_id);
    auto plan = host::plan_pktcap(req, version);
    ASSERT_TRUE(plan) << plan.error().message;
    ASSERT_EQ(plan->size(), 2u) << "ESXi " << version;
    EXPECT_EQ((*plan)[0].dir, 0);
    EXPECT_EQ((*plan)[1].dir, 1);
    EXPECT_TRUE(has_args((*plan)[0].argv, "--dir", "0")) << join((*plan)[0].argv);
    EXPECT_TRUE(has_args((*plan)[1].argv, "--dir", "1")) << join((*plan)[1].argv);
    for (const auto& pp : *plan) std::printf("[figure] esx03 (ESXi %s): %s\n", version.c_str(), join(pp.argv).c_str());

    // Why two: this host refuses --dir 2 (the process fails, it does not capture).
    auto both = host::build_pktcap_argv(req, 2);
    ASSERT_TRUE(both) << both.error().message;
    auto refused = PktcapProcess::start(*conn, *both, nullptr);
    ASSERT_TRUE(refused) << refused.error().message;
    ASSERT_TRUE(wait_for([&] { return (*refused)->exited(); }, milliseconds(10000)));
    auto hlt = (*refused)->health();
    ASSERT_TRUE(hlt) << hlt.error().message;
    EXPECT_EQ(*hlt, host::CaptureHealth::Failed);
    EXPECT_NE((*refused)->exit_info()->status.value_or(0), 0);
    std::printf("[figure] esx03 --dir 2: health %s, error \"%s\"\n", host::to_string(*hlt),
                (*refused)->status().error().c_str());

    auto procs = start_all(*conn, *plan, mac, "esx03:legacy01");
    ASSERT_EQ(procs.size(), 2u);
    EXPECT_NE(procs[0].proc->pid(), procs[1].proc->pid());
    check_running_and_stop(*conn, procs, "esx03:legacy01", 2);
    // Between them the two saw both directions.
    EXPECT_GT(procs[0].col->from_vm(), 0u);
    EXPECT_GT(procs[1].col->to_vm(), 0u);
  }
}

// Uplink targets: esx01's LAG lag1 (from the lab's inventory) expands to its vmnics, each
// one --dir 2 process; on esx03 (6.5) each vmnic needs two processes.
TEST(HostItest, UplinkCapturesExpandAndDeliver) {
  struct Case {
    std::string host;
    model::UplinkTarget target;
    size_t per_nic;
  };
  // LAG membership as the lab was configured (tests/lab/inventory/default.json).
  nlohmann::json inv;
  {
    std::ifstream f(std::string(VMC_SOURCE_DIR) + "/tests/lab/inventory/default.json");
    ASSERT_TRUE(f) << "tests/lab/inventory/default.json";
    inv = nlohmann::json::parse(f);
  }
  std::vector<Case> cases{{"esx01", {"esx01", {}, "lag1"}, 1}, {"esx03", {"esx03", {"vmnic0", "vmnic1"}, ""}, 2}};
  for (const auto& c : cases) {
    auto conn = connect_host(c.host);
    ASSERT_TRUE(conn);
    model::HostInfo hi;
    hi.name = c.host;
    hi.version = host_info(c.host).at("version").get<std::string>();
    // The host's own uplinks (net-stats lists vmnics as clients).
    host::PortResolver res(*conn);
    auto ports = res.list_ports();
    ASSERT_TRUE(ports) << ports.error().message;
    for (const auto& p : *ports) {
      if (p.client.rfind("vmnic", 0) == 0) hi.uplinks.push_back(p.client);
    }
    for (const auto& h : inv.at("hosts")) {
      if (h.at("name") != c.host || !h.contains("lags")) continue;
      for (const auto& [name, members] : h.at("lags").items()) {
        hi.lags.push_back({name, members.get<std::vector<std::string>>()});
      }
    }
    auto nics = host::expand_uplinks(c.target, hi);
    ASSERT_TRUE(nics) << nics.error().message;
    EXPECT_EQ(*nics, (std::vector<std::string>{"vmnic0", "vmnic1"})) << c.host;
    host::PktcapRequest base;
    base.output = "-";
    auto plan = host::plan_uplink_capture(c.target, hi, base);
    ASSERT_TRUE(plan) << plan.error().message;
    ASSERT_EQ(plan->size(), nics->size() * c.per_nic) << c.host;
    for (const auto& pp : *plan) {
      std::printf("[figure] %s uplinks (%s): %s\n", c.host.c_str(), hi.version.c_str(), join(pp.argv).c_str());
      EXPECT_TRUE(std::any_of(nics->begin(), nics->end(),
                              [&](const std::string& n) { return has_args(pp.argv, "--uplink", n); }))
          << join(pp.argv);
    }
    auto procs = start_all(*conn, *plan, std::nullopt, c.host + ":uplinks");
    ASSERT_EQ(procs.size(), plan->size());
    // Guests on the host talk to the outside through some uplink: frames must arrive.
    auto total = [&] {
      uint64_t n = 0;
      for (auto& r : procs) n += r.col->frames();
      return n;
    };
    EXPECT_TRUE(wait_for([&] { return total() >= 4; }, milliseconds(20000))) << c.host << ": " << total();
    check_running_and_stop(*conn, procs, c.host + ":uplinks", 0);
  }
}

// ---- 3. stop kills exactly ours ---------------------------------------------------

TEST(HostItest, StopKillsOnlyOurPktcap) {
  auto ours_conn = connect_host("esx01");
  auto other_conn = connect_host("esx01");  // another client's session on the same host
  ASSERT_TRUE(ours_conn && other_conn);
  const std::string mac = first_mac("testvm1");
  auto port = resolve_port(*ours_conn, mac, "testvm1");
  ASSERT_TRUE(port);
  auto argv = host::build_pktcap_argv(switchport_request(port->port_id), 2);
  ASSERT_TRUE(argv) << argv.error().message;

  Collector ours_col("ours", mac, 2), other_col("other", mac, 2);
  auto ours = PktcapProcess::start(*ours_conn, *argv, ours_col.sink());
  ASSERT_TRUE(ours) << ours.error().message;
  auto other = PktcapProcess::start(*other_conn, *argv, other_col.sink());
  ASSERT_TRUE(other) << other.error().message;
  ASSERT_TRUE(wait_for([&] { return (*ours)->pid() && (*other)->pid(); }, milliseconds(10000)));
  const int64_t ours_pid = *(*ours)->pid(), other_pid = *(*other)->pid();
  ASSERT_NE(ours_pid, other_pid);
  ASSERT_TRUE(wait_for([&] { return ours_col.frames() > 0 && other_col.frames() > 0; }, milliseconds(20000)));
  // Same command line on both: only the PID tells them apart.
  EXPECT_TRUE(ps_lists_pktcap(*ours_conn, ours_pid));
  EXPECT_TRUE(ps_lists_pktcap(*ours_conn, other_pid));

  // A PID that is not a pktcap-uw is never signalled (hostd's, taken from ps).
  std::optional<int64_t> not_pktcap;
  for (const auto& r : ps_rows(*ours_conn)) {
    if (!host::is_pktcap(r) && r.command.find("hostd") != std::string::npos) not_pktcap = r.pid;
  }
  ASSERT_TRUE(not_pktcap) << "ps -c lists no hostd";
  auto refused = host::stop_pktcap_pid(*ours_conn, *not_pktcap, {}, host::real_sleeper());
  ASSERT_TRUE(refused) << refused.error().message;
  EXPECT_FALSE(refused->killed) << refused->note;
  EXPECT_FALSE(refused->was_running);
  std::printf("[figure] stop_pktcap_pid(%lld = hostd): killed=%d note \"%s\"\n", static_cast<long long>(*not_pktcap),
              refused->killed, refused->note.c_str());

  auto t0 = Clock::now();
  auto rep = (*ours)->stop();
  auto t1 = Clock::now();
  ASSERT_TRUE(rep) << rep.error().message;
  EXPECT_TRUE(rep->was_running);
  EXPECT_TRUE(rep->killed);
  EXPECT_TRUE(rep->gone) << rep->note;
  EXPECT_FALSE(rep->escalated) << "pktcap-uw ends on TERM";

  auto rows = ps_rows(*ours_conn);
  size_t ours_listed = 0, pktcaps = 0;
  for (const auto& r : rows) {
    if (r.pid == ours_pid || (r.cid && *r.cid == ours_pid)) ++ours_listed;
    if (host::is_pktcap(r)) ++pktcaps;
  }
  EXPECT_EQ(ours_listed, 0u) << "our PID " << ours_pid << " is still listed";
  auto other_row = host::find_process(rows, other_pid);
  ASSERT_TRUE(other_row) << "the other pktcap-uw " << other_pid << " was killed";
  EXPECT_TRUE(host::is_pktcap(*other_row));
  EXPECT_FALSE((*other)->exited());
  // ...and it still captures.
  const uint64_t other_frames = other_col.frames();
  EXPECT_TRUE(wait_for([&] { return other_col.frames() > other_frames; }, milliseconds(20000)));
  ASSERT_TRUE(wait_for([&] { return (*ours)->exited(); }, milliseconds(5000)));
  std::printf("[figure] stop took %lld ms; ours (PID %lld) exit \"%s\", Dumped %lld, parsed %llu; other (PID %lld) "
              "still running, %llu -> %llu frames; pktcap-uw processes on esx01 after stop: %zu\n",
              ms_between(t0, t1), static_cast<long long>(ours_pid), (*ours)->exit_info()->detail.c_str(),
              static_cast<long long>(dumped_count(**ours)), static_cast<unsigned long long>(ours_col.frames()),
              static_cast<long long>(other_pid), static_cast<unsigned long long>(other_frames),
              static_cast<unsigned long long>(other_col.frames()), pktcaps);

  // Clean up the other one (its owner would).
  auto orep = (*other)->stop();
  ASSERT_TRUE(orep) << orep.error().message;
  EXPECT_TRUE(orep->gone) << orep->note;
  EXPECT_FALSE(host::find_process(ps_rows(*ours_conn), other_pid));
}

// ---- 4. a changed host key is refused ---------------------------------------------

std::string fingerprint_of(const std::string& key_line) {
  std::string path = lab().state_dir() + "/hostit-key.pub";
  {
    std::ofstream f(path);
    f << key_line << "\n";
  }
  std::string cmd = "ssh-keygen -E sha256 -lf '" + path + "' 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return "";
  std::string out;
  char buf[512];
  while (std::fgets(buf, sizeof buf, p)) out += buf;
  pclose(p);
  // "256 SHA256:abc... esx01 (ED25519)"
  std::istringstream is(out);
  std::string bits, fp;
  is >> bits >> fp;
  return fp.rfind("SHA256:", 0) == 0 ? fp : "";
}

TEST(HostItest, ChangedHostKeyIsRefused) {
  const std::string kh = lab().info().at("known_hosts").get<std::string>();
  std::vector<std::string> lines;
  {
    std::ifstream f(kh);
    for (std::string l; std::getline(f, l);) lines.push_back(l);
  }
  const std::string port01 = std::to_string(host_info("esx01").at("port").get<int>());
  auto is_esx01 = [&](const std::string& l) {
    return l.rfind("esx01 ", 0) == 0 || l.rfind("[127.0.0.1]:" + port01 + " ", 0) == 0;
  };
  auto write_copy = [&](const std::string& name, const std::function<std::string(const std::string&)>& edit) {
    std::string path = lab().state_dir() + "/" + name;
    std::ofstream f(path);
    for (const auto& l : lines) {
      std::string e = edit(l);
      if (!e.empty()) f << e << "\n";
    }
    return path;
  };
  // Control: the unchanged copy is accepted. A host offers several keys (ECDSA and RSA
  // on ESXi 8): esx01's key is the one the connection negotiates, and it is one of
  // esx01's known_hosts lines; esx02's key of the same type is "another valid key".
  auto same = write_copy("kh-same", [](const std::string& l) { return l; });
  std::string fp01;
  {
    auto o = ssh_options("esx01");
    o.known_hosts = same;
    auto c = SshConnection::connect(o);
    ASSERT_TRUE(c) << c.error().code << ": " << c.error().message;
    fp01 = (*c)->host_key_fingerprint();
  }
  ASSERT_FALSE(fp01.empty()) << "the connection reported no host key fingerprint";
  std::string key01, key02;  // "<type> <base64>"
  for (const auto& l : lines) {
    if (l.rfind("esx01 ", 0) == 0 && fingerprint_of(l) == fp01) key01 = l.substr(6);
  }
  ASSERT_FALSE(key01.empty()) << "no esx01 line of known_hosts has the negotiated key " << fp01;
  const std::string type01 = key01.substr(0, key01.find(' '));
  for (const auto& l : lines) {
    if (l.rfind("esx02 " + type01 + " ", 0) == 0) key02 = l.substr(6);
  }
  ASSERT_FALSE(key02.empty()) << "esx02 has no " << type01 << " key";
  ASSERT_NE(key01, key02);
  const std::string fp02 = fingerprint_of("esx02 " + key02);
  // esx01's entries now hold another valid key (esx02's).
  auto changed = write_copy("kh-changed", [&](const std::string& l) {
    return is_esx01(l) ? l.substr(0, l.find(' ') + 1) + key02 : l;
  });
  std::string changed_text;
  {
    std::ifstream f(changed);
    changed_text.assign(std::istreambuf_iterator<char>(f), {});
  }
  for (auto policy : {host::HostKeyPolicy::Strict, host::HostKeyPolicy::AcceptNew}) {
    auto o = ssh_options("esx01");
    o.known_hosts = changed;
    o.host_key_policy = policy;
    auto c = SshConnection::connect(o);
    ASSERT_FALSE(c) << "connected despite a changed host key";
    EXPECT_EQ(c.error().code, "ssh.hostkey-changed");
    EXPECT_NE(c.error().message.find(fp01), std::string::npos) << c.error().message;
    std::printf("[figure] changed key (%s): %s: %s\n",
                policy == host::HostKeyPolicy::Strict ? "strict" : "accept-new", c.error().code.c_str(),
                c.error().message.c_str());
  }
  // accept-new never rewrites a changed entry.
  {
    std::ifstream f(changed);
    std::string now(std::istreambuf_iterator<char>(f), {});
    EXPECT_EQ(now, changed_text);
  }
  std::printf("[figure] esx01 key %s, substituted key %s\n", fp01.c_str(), fp02.c_str());

  // And an unknown host (no esx01 entry) is refused too, with the fingerprint.
  auto unknown = write_copy("kh-unknown", [&](const std::string& l) { return is_esx01(l) ? std::string() : l; });
  auto o = ssh_options("esx01");
  o.known_hosts = unknown;
  auto c = SshConnection::connect(o);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, "ssh.hostkey-unknown");
  EXPECT_NE(c.error().message.find(fp01), std::string::npos) << c.error().message;
}

// ---- 5. a dropped connection is noticed, re-established, the capture restarted -------

TEST(HostItest, DroppedConnectionReconnectsAndCaptureResumes) {
  auto conn = connect_host("esx01");
  ASSERT_TRUE(conn);
  const std::string mac = first_mac("testvm1");
  auto port = resolve_port(*conn, mac, "testvm1");
  ASSERT_TRUE(port);
  auto plan = host::plan_pktcap(switchport_request(port->port_id), host_info("esx01").at("version").get<std::string>());
  ASSERT_TRUE(plan) << plan.error().message;
  ASSERT_EQ(plan->size(), 1u);

  Collector first("before-drop", mac, 2);
  auto p1 = PktcapProcess::start(*conn, (*plan)[0].argv, first.sink());
  ASSERT_TRUE(p1) << p1.error().message;
  ASSERT_TRUE(wait_for([&] { return first.frames() >= 2 && (*p1)->pid(); }, milliseconds(20000)));
  const int64_t pid1 = *(*p1)->pid();
  EXPECT_EQ(conn->reconnects(), 0);

  auto t_drop = Clock::now();
  lab().post("/fault/ssh-drop?host=esx01");
  ASSERT_TRUE(wait_for([&] { return (*p1)->exited(); }, milliseconds(15000))) << "the drop was not noticed";
  auto t_noticed = Clock::now();
  auto ex = (*p1)->exit_info();
  ASSERT_TRUE(ex);
  EXPECT_TRUE(ex->connection_lost) << ex->detail;
  auto h = (*p1)->health();
  ASSERT_TRUE(h) << h.error().message;
  EXPECT_EQ(*h, host::CaptureHealth::ConnectionLost);
  EXPECT_FALSE(conn->connected());

  int refusals = 0;
  std::string first_refusal;
  ASSERT_TRUE(wait_for(
      [&] {
        auto st = conn->ensure_connected();
        if (!st) {
          if (refusals++ == 0) first_refusal = st.error().message;
        }
        return st.ok();
      },
      milliseconds(30000), milliseconds(50)))
      << "not reconnected: " << first_refusal;
  auto t_up = Clock::now();
  EXPECT_TRUE(conn->connected());
  EXPECT_EQ(conn->reconnects(), 1);

  // The old pktcap-uw is ours to clean up if it survived the drop (stop by PID only).
  auto orphan = host::stop_pktcap_pid(*conn, pid1, {}, host::real_sleeper());
  ASSERT_TRUE(orphan) << orphan.error().message;
  EXPECT_TRUE(orphan->gone) << orphan->note;

  // Port again (it may have changed while we were away), then a new capture.
  auto port2 = resolve_port(*conn, mac, "testvm1");
  ASSERT_TRUE(port2);
  auto plan2 = host::plan_pktcap(switchport_request(port2->port_id), host_info("esx01").at("version").get<std::string>());
  ASSERT_TRUE(plan2) << plan2.error().message;
  Collector second("after-drop", mac, 2);
  auto p2 = PktcapProcess::start(*conn, (*plan2)[0].argv, second.sink());
  ASSERT_TRUE(p2) << p2.error().message;
  ASSERT_TRUE(wait_for([&] { return second.frames() >= 2; }, milliseconds(20000))) << "no frames after reconnecting";
  EXPECT_GT(second.first_ts_ns(), first.last_ts_ns()) << "the new capture's frames are new ones";
  auto t_first_new = *second.first_frame_at();
  ASSERT_TRUE((*p2)->pid());
  EXPECT_NE(*(*p2)->pid(), pid1);
  auto h2 = (*p2)->health();
  ASSERT_TRUE(h2) << h2.error().message;
  EXPECT_EQ(*h2, host::CaptureHealth::Running);

  std::printf("[figure] drop noticed after %lld ms (exit: %s); %d ensure_connected refusals before the backoff "
              "allowed a retry (first: \"%s\"); reconnected %lld ms after the drop; reconnects()=%d; orphan PID %lld: "
              "%s\n",
              ms_between(t_drop, t_noticed), ex->detail.c_str(), refusals, first_refusal.c_str(),
              ms_between(t_drop, t_up), conn->reconnects(), static_cast<long long>(pid1),
              orphan->note.empty() ? (orphan->killed ? "killed" : "gone") : orphan->note.c_str());
  std::printf("[figure] gap: drop -> first new frame %lld ms; frame time gap %lld ms (last before %lld, first after "
              "%lld ns)\n",
              ms_between(t_drop, t_first_new),
              static_cast<long long>((second.first_ts_ns() - first.last_ts_ns()) / 1000000),
              static_cast<long long>(first.last_ts_ns()), static_cast<long long>(second.first_ts_ns()));

  auto rep = (*p2)->stop();
  ASSERT_TRUE(rep) << rep.error().message;
  EXPECT_TRUE(rep->gone) << rep->note;
}

// A keepalive waits for the host's answer holding the SSH session, never the state
// ensure_connected() reads: a caller asking whether the connection is up is answered at
// once, though the host has stopped answering (issue 14).
TEST(HostItest, EnsureConnectedAnswersAtOnceWhileAKeepaliveWaits) {
  auto o = ssh_options("esx02");
  o.keepalive_interval = std::chrono::seconds(1);
  o.stall_timeout = std::chrono::seconds(6);
  auto c = SshConnection::connect(o);
  ASSERT_TRUE(c) << c.error().message;
  SshConnection& conn = **c;
  lab().post("/fault/unreachable?host=esx02&seconds=5");
  struct Reachable {  // whatever happens below, esx02 answers again for the next tests
    ~Reachable() { lab().post("/fault/unreachable?host=esx02&seconds=0"); }
  } reachable;
  ASSERT_TRUE(wait_for([&] { return conn.keepalive_waiting(); }, milliseconds(4000)))
      << "no keepalive was sent to the silent host";
  milliseconds slowest{0};
  int asked = 0;
  // While it waits (up to the 6 s stall), ask as the session loop does.
  while (conn.keepalive_waiting() && asked < 50) {
    const auto t0 = Clock::now();
    auto st = conn.ensure_connected();
    const bool up = conn.connected();
    slowest = std::max(slowest, std::chrono::duration_cast<milliseconds>(Clock::now() - t0));
    EXPECT_TRUE(st.ok()) << st.error().message;  // still up: the answer may yet come
    EXPECT_TRUE(up);
    ++asked;
    std::this_thread::sleep_for(milliseconds(20));  // pace the questions (no state awaited)
  }
  EXPECT_GT(asked, 0);
  EXPECT_LT(slowest, milliseconds(200)) << "ensure_connected() waited for the keepalive's round trip";
  std::printf("[figure] %d ensure_connected() calls while a keepalive waited on a silent host; the slowest "
              "took %lld ms\n",
              asked, static_cast<long long>(slowest.count()));
}

// ---- 6. on-host output ---------------------------------------------------------------

TEST(HostItest, OnHostOutputRefusesTmpUnlessForced) {
  model::OutputSpec out;
  out.on_host = true;
  for (const std::string ds : {"/tmp", "/tmp/vm-capture"}) {
    out.datastore = ds;
    out.force_tmp = false;
    auto d = host::on_host_directory(out);
    ASSERT_FALSE(d) << ds << " accepted as " << *d;
    EXPECT_EQ(d.error().code, "onhost.tmp");
    std::printf("[figure] %s: %s: %s\n", ds.c_str(), d.error().code.c_str(), d.error().message.c_str());
    out.force_tmp = true;
    auto forced = host::on_host_directory(out);
    ASSERT_TRUE(forced) << forced.error().message;
    EXPECT_EQ(*forced, ds);
  }
  out.force_tmp = false;
  out.datastore = "datastore1";
  auto d = host::on_host_directory(out);
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(d->rfind("/vmfs/volumes/datastore1", 0), 0u) << *d;

  // What the host says about /tmp: the ramdisk, not a datastore.
  auto conn = connect_host("esx01");
  ASSERT_TRUE(conn);
  auto u = host::remote_space(*conn, "/tmp/x.pcap");
  ASSERT_TRUE(u) << u.error().message;
  EXPECT_TRUE(u->ramdisk);
  auto ds = host::remote_space(*conn, *d + "/x.pcap");
  ASSERT_TRUE(ds) << ds.error().message;
  EXPECT_FALSE(ds->ramdisk);
  EXPECT_EQ(ds->mount, "/vmfs/volumes/datastore1");
  std::printf("[figure] vdf: /tmp ramdisk %lld of %lld bytes free; datastore1 %lld of %lld bytes free\n",
              static_cast<long long>(u->avail), static_cast<long long>(u->size), static_cast<long long>(ds->avail),
              static_cast<long long>(ds->size));
}

/// Starts a file capture of testvm1 on esx01 into datastore1, waits until it has written
/// some records, runs `fill` (which makes the datastore (nearly) full), then `finish`
/// (which ends the capture), and checks that the file fetched home holds exactly the
/// frames pktcap-uw reports as dumped, then removes the lab's fill file.
struct OnHostRun {
  std::unique_ptr<SshConnection> conn;
  std::unique_ptr<PktcapProcess> proc;
  std::string path;
};

void cleanup_fill(HostConnection& conn) {
  int st = -1;
  std::string out = run_out(conn, {"rm", "-f", "/vmfs/volumes/datastore1/lab-fill.bin"}, &st);
  EXPECT_EQ(st, 0) << out;
}

OnHostRun start_on_host(const std::string& tag) {
  OnHostRun r;
  r.conn = connect_host("esx01");
  if (!r.conn) return r;
  model::OutputSpec out;
  out.on_host = true;
  out.datastore = "datastore1";
  auto dir = host::on_host_directory(out);
  if (!dir) {
    ADD_FAILURE() << dir.error().message;
    return r;
  }
  int st = -1;
  std::string o = run_out(*r.conn, {"mkdir", "-p", *dir}, &st);
  EXPECT_EQ(st, 0) << o;
  r.path = *dir + "/hostit-" + tag + "-" + std::to_string(getpid()) + ".pcap";
  auto port = resolve_port(*r.conn, first_mac("testvm1"), "testvm1");
  if (!port) return r;
  auto req = switchport_request(port->port_id);
  req.output = r.path;
  auto plan = host::plan_pktcap(req, host_info("esx01").at("version").get<std::string>());
  if (!plan || plan->size() != 1) {
    ADD_FAILURE() << "plan for " << r.path;
    return r;
  }
  EXPECT_TRUE(has_args((*plan)[0].argv, "-o", r.path)) << join((*plan)[0].argv);
  auto space = host::remote_space(*r.conn, r.path);
  if (!space) {
    ADD_FAILURE() << space.error().message;
    return r;
  }
  auto chk = host::check_space(*space);
  EXPECT_TRUE(chk.ok) << "before starting: " << chk.message;
  auto p = PktcapProcess::start(*r.conn, (*plan)[0].argv, nullptr);
  if (!p) {
    ADD_FAILURE() << p.error().message;
    return r;
  }
  r.proc = std::move(*p);
  // Some records on disk (24-byte header + at least 3 frames of >= 60 bytes).
  bool written = wait_for(
      [&] {
        auto s = r.conn->run({"stat", "-c", "%s", r.path}, std::chrono::seconds(10), 4096);
        return s && s->exit_status == 0 && std::atoll(s->out.c_str()) > 24 + 3 * 76;
      },
      milliseconds(20000), milliseconds(100));
  EXPECT_TRUE(written) << r.path << " stays empty";
  return r;
}

/// Fetches r.path (verified, removed) and checks it against pktcap-uw's Dumped count.
void fetch_and_compare(OnHostRun& r, const std::string& label) {
  std::string local;
  auto t0 = Clock::now();
  auto fr = host::fetch_verified(
      *r.conn, r.path,
      [&](std::string_view d) -> Status {
        local.append(d);
        return {};
      },
      true);
  auto t1 = Clock::now();
  ASSERT_TRUE(fr) << fr.error().code << ": " << fr.error().message;
  EXPECT_TRUE(fr->removed);
  EXPECT_EQ(fr->bytes, local.size());
  Collector col(label, first_mac("testvm1"), 2);
  col.feed(local);
  EXPECT_EQ(col.error(), "");
  EXPECT_EQ(col.finish_error(), "") << "the file ends inside a record";
  const int64_t dumped = dumped_count(*r.proc);
  EXPECT_GT(dumped, 0);
  EXPECT_EQ(static_cast<int64_t>(col.frames()), dumped) << "frames in the fetched file vs pktcap-uw's Dumped count";
  EXPECT_EQ(col.foreign(), 0u);
  int st = -1;
  run_out(*r.conn, {"stat", "-c", "%s", r.path}, &st);
  EXPECT_NE(st, 0) << r.path << " still on the host after a verified fetch";
  std::printf("[figure] %s: fetched %llu bytes (sha256 %s) in %lld ms, %llu frames, pktcap-uw Dumped %lld, removed=%d\n",
              label.c_str(), static_cast<unsigned long long>(fr->bytes), fr->sha256.c_str(), ms_between(t0, t1),
              static_cast<unsigned long long>(col.frames()), static_cast<long long>(dumped), fr->removed);
}

// vm-capture's own guard: free space drops below the reserve while the capture runs;
// the monitor sees it, the capture is stopped (TERM: pending frames written), and the
// file comes home whole.
// Until the product reads pktcap-uw's stderr as ESXi 7.0+ prints it (no "Dump:" line,
// "Join with dump thread failed." at every normal stop: issue 15), the on-host tests that
// read the final counts name the lab's old messages explicitly; restored afterwards.
struct LegacyPktcapMessages {
  LegacyPktcapMessages() { lab().post("/settings?pktcap_messages=legacy"); }
  ~LegacyPktcapMessages() { lab().post("/settings?pktcap_messages=version"); }
};

TEST(HostItest, OnHostCaptureStopsWhenDatastoreFillsAndFetchesEveryFrame) {
  LegacyPktcapMessages legacy;
  auto r = start_on_host("guard");
  ASSERT_TRUE(r.conn && r.proc);
  auto before = host::remote_space(*r.conn, r.path);
  ASSERT_TRUE(before) << before.error().message;
  const auto reserve = host::check_space(*before).reserve;
  ASSERT_TRUE(host::check_space(*before).ok);
  // Leave half the reserve free: below the guard, but room for the capture to go on.
  const int64_t fill = before->avail - reserve / 2;
  ASSERT_GT(fill, 0);
  lab().post("/fault/fill?host=esx01&target=datastore1&bytes=" + std::to_string(fill));
  auto t_fill = Clock::now();
  std::string message;
  int checks = 0;
  bool tripped = wait_for(
      [&] {
        ++checks;
        auto u = host::remote_space(*r.conn, r.path);
        if (!u) return false;
        auto c = host::check_space(*u);
        if (!c.ok) message = c.message;
        return !c.ok;
      },
      milliseconds(15000), milliseconds(100));
  auto t_trip = Clock::now();
  EXPECT_TRUE(tripped) << "check_space still ok after filling " << fill << " bytes";
  EXPECT_FALSE(r.proc->exited()) << "the capture should still be running when the guard trips";
  auto rep = r.proc->stop();
  ASSERT_TRUE(rep) << rep.error().message;
  EXPECT_TRUE(rep->gone) << rep->note;
  ASSERT_TRUE(wait_for([&] { return r.proc->exited(); }, milliseconds(5000)));
  auto stats = r.proc->status().final_stats();
  ASSERT_TRUE(stats) << "no Dump line";
  EXPECT_EQ(stats->file_err, 0);
  EXPECT_FALSE(r.proc->status().write_failed());
  EXPECT_EQ(r.proc->exit_info()->status.value_or(-1), 0) << r.proc->exit_info()->detail;
  std::printf("[figure] guard: filled %lld bytes (reserve %lld), check_space tripped after %d checks / %lld ms: \"%s\"\n",
              static_cast<long long>(fill), static_cast<long long>(reserve), checks, ms_between(t_fill, t_trip),
              message.c_str());
  fetch_and_compare(r, "guard");
  cleanup_fill(*r.conn);
  auto after = host::remote_space(*r.conn, "/vmfs/volumes/datastore1");
  ASSERT_TRUE(after) << after.error().message;
  EXPECT_TRUE(host::check_space(*after).ok);
}

// The datastore fills completely under a running capture: pktcap-uw itself fails
// ("Error writing ... to file", file err 1); the file keeps only whole records, and all
// of them are fetched intact.
TEST(HostItest, OnHostCaptureOnFullDatastoreKeepsWholeRecords) {
  LegacyPktcapMessages legacy;  // issue 15: see above
  auto r = start_on_host("full");
  ASSERT_TRUE(r.conn && r.proc);
  lab().post("/fault/fill?host=esx01&target=datastore1");  // everything free
  auto t_fill = Clock::now();
  ASSERT_TRUE(wait_for([&] { return r.proc->exited(); }, milliseconds(20000)))
      << "pktcap-uw did not stop on the full datastore";
  auto t_exit = Clock::now();
  auto h = r.proc->health();
  ASSERT_TRUE(h) << h.error().message;
  EXPECT_EQ(*h, host::CaptureHealth::Failed);
  EXPECT_TRUE(r.proc->status().write_failed());
  auto stats = r.proc->status().final_stats();
  ASSERT_TRUE(stats);
  EXPECT_EQ(stats->file_err, 1);
  std::printf("[figure] full: pktcap-uw ended %lld ms after the fill: health %s, error \"%s\", exit %s\n",
              ms_between(t_fill, t_exit), host::to_string(*h), r.proc->status().error().c_str(),
              r.proc->exit_info()->detail.c_str());
  // Nothing to stop any more (the PID is gone).
  auto rep = r.proc->stop();
  ASSERT_TRUE(rep) << rep.error().message;
  EXPECT_FALSE(rep->was_running);
  EXPECT_TRUE(rep->gone);
  fetch_and_compare(r, "full");
  cleanup_fill(*r.conn);
}

}  // namespace
}  // namespace vmc::itest
