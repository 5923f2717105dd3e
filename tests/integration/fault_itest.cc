// Fault injection (issue 8): the real `capture` binary against the lab while the lab
// breaks something under it: vCenter restarts, a host's SSH connections drop, a host is
// unreachable for 30 s, the capture process is killed with SIGKILL and started again, the
// local disk fills, the datastore of an on-host capture fills, the captured VM is
// deleted, two sessions capture the same VM, and a host's clock is skewed.
//
// What every case checks afterwards, against the lab's truth.jsonl:
//  - frames were captured before and after the fault;
//  - the frames already in the file before the fault are still in the final file;
//  - every frame that crossed the VM's switch port while a capture of that port ran is
//    in the file, unless it falls inside a gap the manifest reports (a frame within
//    kEdge of a capture's end or of a gap's edges may be in flight when a stream is cut);
//  - no pktcap-uw is left on any host; the DRS override is back to what it was.
// Each case prints its figures (frames before/after, gap, time to recover); nothing is
// timed as an assertion.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "capture/manifest.h"
#include "capture_process.h"
#include "conditions.h"
#include "itest_util.h"
#include "lab_fixture.h"
#include "vm_operations.h"
#include "vsphere/vcenter.h"

namespace vmc::itest {
namespace {

using namespace std::chrono_literals;
using Op = VmOperation;
using json = nlohmann::json;

Lab* lab = nullptr;

class LabEnv : public ::testing::Environment {
 public:
  void SetUp() override {
    // --host-portlist-lag 0 (issue 13): VcenterRestartMidSession and
    // SilentHostAtStartDoesNotHoldUpTheOthers expect the DHCP of the boot after a reset,
    // and the product learns the new port from vCenter's host port list, which on the
    // lab's default (like real vCenter) lags the host by 2 s. Until the product asks the
    // host instead, these tests keep the lab's old instant port list.
    lab = new Lab("--boot-dhcp-delay 1s --host-portlist-lag 0");
    lab->export_env();
  }
  void TearDown() override { delete lab; }
};
const auto* env = ::testing::AddGlobalTestEnvironment(new LabEnv);

// A frame within this of a capture's end, of the fault or of a gap's edges may be in
// flight when a stream is cut: it is not required to be in the file.
constexpr int64_t kEdge = 1'000'000'000;
constexpr int64_t kSec = 1'000'000'000;

// ---- what the lab says ------------------------------------------------------------------

struct TruthFrame {
  int64_t t = 0;
  std::string host;
  int64_t port = 0;
  int len = 0;
  int dir = 0;
  std::string vm, kind;
  uint64_t seq = 0;
};

std::string describe(const TruthFrame& f) {
  char buf[200];
  std::snprintf(buf, sizeof buf, "%s %s:%lld dir %d %s seq %llu len %d (of %s)",
                capture::format_time(f.t).c_str(), f.host.c_str(), static_cast<long long>(f.port),
                f.dir, f.kind.c_str(), static_cast<unsigned long long>(f.seq), f.len, f.vm.c_str());
  return buf;
}

/// (host, port) pairs the VM ever had.
std::set<std::pair<std::string, int64_t>> vm_ports(const std::string& vm) {
  std::set<std::pair<std::string, int64_t>> out;
  for (const auto& r : lab->truth("port-assign"))
    if (r.value("vm", "") == vm) out.insert({r.at("host").get<std::string>(), r.at("port").get<int64_t>()});
  return out;
}

/// Frames that crossed one of the VM's ports (whoever sent them) between from and to.
std::vector<TruthFrame> truth_frames_on(const std::string& vm, int64_t from, int64_t to) {
  // The lab flushes truth.jsonl every 20 ms: wait until it holds the window's end.
  wait_until([&] { return truth_latest(*lab) >= to; }, 2s, 20ms);
  auto ports = vm_ports(vm);
  std::vector<TruthFrame> out;
  for (const auto& r : lab->truth("frame")) {
    if (!r.contains("port")) continue;
    TruthFrame f;
    f.t = r.at("t").get<int64_t>();
    if (f.t < from || f.t > to) continue;
    f.host = r.value("host", "");
    f.port = r.at("port").get<int64_t>();
    if (!ports.count({f.host, f.port})) continue;
    f.len = r.value("len", 0);
    f.dir = r.value("dir", 0);
    f.vm = r.value("vm", "");
    f.kind = r.value("kind", "");
    f.seq = r.value("seq", uint64_t{0});
    out.push_back(std::move(f));
  }
  return out;
}

json lab_state(const std::string& vm) {
  for (const auto& v : json::parse(lab->get("/state")))
    if (v.value("name", "") == vm) return v;
  return json();
}

// ---- what the capture wrote -------------------------------------------------------------

struct CapFrame {
  int64_t ts = 0;  // ns, as written
  std::string iface, host, port, dir;
  int len = 0;
  std::string md5;
  bool port_pin() const {
    return !port.empty() && std::all_of(port.begin(), port.end(), [](char c) { return isdigit(c); });
  }
};

int64_t epoch_ns(const std::string& s) {
  auto dot = s.find('.');
  int64_t sec = std::stoll(s.substr(0, dot));
  std::string frac = dot == std::string::npos ? "" : s.substr(dot + 1, 9);
  while (frac.size() < 9) frac += '0';
  return sec * kSec + std::stoll(frac);
}

/// Every frame of a pcapng (or of a partly written one), in file order.
std::vector<CapFrame> read_frames(const std::string& file) {
  std::vector<CapFrame> out;
  auto r = sh("tshark -r '" + file + "' -o frame.generate_md5_hash:TRUE -T fields -E separator=/t "
              "-e frame.time_epoch -e frame.interface_name -e frame.len -e frame.md5_hash 2>/dev/null");
  for (const auto& line : lines(r.out)) {
    std::vector<std::string> f;
    std::stringstream ss(line);
    std::string x;
    while (std::getline(ss, x, '\t')) f.push_back(x);
    if (f.size() < 3 || f[0].empty()) continue;
    CapFrame c;
    c.ts = epoch_ns(f[0]);
    c.iface = f[1];
    auto a = c.iface.find(':'), b = c.iface.rfind(':');
    if (a != std::string::npos && b != a) {
      c.host = c.iface.substr(0, a);
      c.port = c.iface.substr(a + 1, b - a - 1);
      c.dir = c.iface.substr(b + 1);
    }
    c.len = std::atoi(f[2].c_str());
    if (f.size() > 3) c.md5 = f[3];
    out.push_back(std::move(c));
  }
  return out;
}

struct PinWin {
  std::string iface, host, port, vm, end_reason;
  int64_t start = 0, end = 0;
};

struct GapWin {
  std::string vm, reason;
  int64_t from = 0, to = 0;
};

/// A finished session's output: manifest, pins, gaps and every frame of its files.
struct Outcome {
  json manifest;
  std::vector<PinWin> pins;
  std::vector<GapWin> gaps;
  std::vector<CapFrame> frames;
  int64_t start = 0, end = 0;

  bool has_manifest() const { return !manifest.is_null(); }
  size_t frames_of(const std::function<bool(const CapFrame&)>& pred) const {
    return static_cast<size_t>(std::count_if(frames.begin(), frames.end(), pred));
  }
  std::vector<std::string> events(const std::string& needle) const {
    std::vector<std::string> out;
    if (!has_manifest()) return out;
    for (const auto& e : manifest.at("events")) {
      std::string s = e.value("kind", "") + ": " + e.value("detail", "");
      if (s.find(needle) != std::string::npos) out.push_back(e.value("at", "").substr(11, 12) + " " + s);
    }
    return out;
  }
};

Outcome load_outcome(const std::string& out) {
  Outcome o;
  std::ifstream mf(capture::manifest_path_for(out));
  if (mf.good()) o.manifest = json::parse(mf, nullptr, false);
  if (o.manifest.is_discarded()) o.manifest = json();
  std::vector<std::string> files;
  if (o.has_manifest()) {
    o.start = ns_of(o.manifest.at("start"));
    o.end = ns_of(o.manifest.at("end"));
    for (const auto& f : o.manifest.at("files")) files.push_back(f);
    for (const auto& p : o.manifest.at("pins")) {
      PinWin w;
      w.iface = p.value("interface", "");
      w.host = p.value("host", "");
      w.port = p.value("port", "");
      w.vm = p.value("vm", "");
      w.start = ns_of(p.at("start"));
      w.end = p.at("end").is_null() ? o.end : ns_of(p.at("end"));
      w.end_reason = p.value("end_reason", "");
      o.pins.push_back(w);
    }
    for (const auto& g : o.manifest.at("gaps"))
      o.gaps.push_back({g.value("vm", ""), g.value("reason", ""), ns_of(g.at("from")), ns_of(g.at("to"))});
  }
  if (files.empty()) files.push_back(out);
  for (const auto& f : files) {
    auto fr = read_frames(f);
    o.frames.insert(o.frames.end(), fr.begin(), fr.end());
  }
  return o;
}

/// How the truth of the VM's ports compares with the port captures of a session.
struct Coverage {
  size_t expected = 0;      // crossed a port while a capture of that port ran
  size_t captured = 0;      // ... and is in the file
  size_t in_gap = 0;        // ... is not, but lies in a reported gap (or at its edge)
  size_t outside_pins = 0;  // crossed a port no capture of this session watched then
  std::vector<TruthFrame> lost;  // expected, not in the file, in no reported gap
  std::string text() const {
    char buf[200];
    std::snprintf(buf, sizeof buf,
                  "%zu frames crossed the VM's ports under a running capture, %zu captured, %zu "
                  "missing inside reported gaps, %zu missing outside any gap (%zu crossed "
                  "unwatched ports)",
                  expected, captured, in_gap, lost.size(), outside_pins);
    return buf;
  }
};

/// `skew` per host: what the host's clock adds to its frames' timestamps.
Coverage coverage(const Outcome& o, const std::vector<TruthFrame>& truth,
                  const std::map<std::string, int64_t>& skew = {}) {
  std::map<std::pair<std::string, std::string>, std::multiset<std::pair<int64_t, int>>> got;
  for (const auto& f : o.frames) {
    if (!f.port_pin()) continue;
    int64_t s = skew.count(f.host) ? skew.at(f.host) : 0;
    got[{f.host, f.port}].insert({(f.ts - s) / 1000, f.len});
  }
  Coverage c;
  for (const auto& t : truth) {
    const std::string port = std::to_string(t.port);
    bool watched = std::any_of(o.pins.begin(), o.pins.end(), [&](const PinWin& p) {
      return p.host == t.host && p.port == port && t.t >= p.start && t.t <= p.end - kEdge;
    });
    if (!watched) {
      ++c.outside_pins;
      continue;
    }
    ++c.expected;
    auto& bag = got[{t.host, port}];
    auto it = bag.find({t.t / 1000, t.len});
    if (it != bag.end()) {
      bag.erase(it);
      ++c.captured;
      continue;
    }
    bool gap = std::any_of(o.gaps.begin(), o.gaps.end(), [&](const GapWin& g) {
      return t.t >= g.from - kEdge && t.t <= g.to + kEdge;
    });
    if (gap) {
      ++c.in_gap;
    } else {
      c.lost.push_back(t);
    }
  }
  return c;
}

std::string lost_list(const Coverage& c, size_t max = 12) {
  std::string s;
  for (size_t i = 0; i < c.lost.size() && i < max; ++i) s += "  " + describe(c.lost[i]) + "\n";
  if (c.lost.size() > max) s += "  ... " + std::to_string(c.lost.size() - max) + " more\n";
  return s;
}

/// Frames of `snapshot` (taken before the fault) missing from the final output.
size_t missing_from_final(const std::vector<CapFrame>& snapshot, const Outcome& o) {
  std::multiset<std::tuple<std::string, int64_t, int>> fin;
  for (const auto& f : o.frames) fin.insert({f.iface, f.ts, f.len});
  size_t missing = 0;
  for (const auto& f : snapshot) {
    auto it = fin.find({f.iface, f.ts, f.len});
    if (it == fin.end()) {
      ++missing;
    } else {
      fin.erase(it);
    }
  }
  return missing;
}

/// Frames that crossed the VM's ports between from and to, how many are in the file, and
/// the first and last of those that are not.
struct Window {
  size_t crossed = 0, captured = 0;
  int64_t first_missing = 0, last_missing = 0;
  size_t missing() const { return crossed - captured; }
};

Window window(const Outcome& o, const std::vector<TruthFrame>& truth, int64_t from, int64_t to) {
  std::multiset<std::tuple<std::string, std::string, int64_t, int>> got;
  for (const auto& f : o.frames)
    if (f.port_pin()) got.insert({f.host, f.port, f.ts / 1000, f.len});
  Window w;
  for (const auto& t : truth) {
    if (t.t < from || t.t > to) continue;
    ++w.crossed;
    auto it = got.find({t.host, std::to_string(t.port), t.t / 1000, t.len});
    if (it != got.end()) {
      got.erase(it);
      ++w.captured;
      continue;
    }
    if (!w.first_missing) w.first_missing = t.t;
    w.last_missing = t.t;
  }
  return w;
}

size_t duplicates(const Outcome& o) {
  std::set<std::pair<int64_t, std::string>> seen;
  size_t d = 0;
  for (const auto& f : o.frames)
    if (!f.md5.empty() && !seen.insert({f.ts, f.md5}).second) ++d;
  return d;
}

std::string gaps_text(const Outcome& o) {
  std::string s;
  for (const auto& g : o.gaps) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.3f s", static_cast<double>(g.to - g.from) / 1e9);
    s += "  gap " + capture::format_time(g.from).substr(11, 12) + " .. " +
         capture::format_time(g.to).substr(11, 12) + " (" + buf + "): " + g.reason + "\n";
  }
  return s.empty() ? "  (no gap reported)\n" : s;
}

double secs(int64_t ns) { return static_cast<double>(ns) / 1e9; }

/// `text` with every occurrence of `path` replaced by "DIR" (so that a test's directory
/// name never answers a search for a word in a log).
std::string without(std::string text, const std::string& path) {
  for (size_t at; (at = text.find(path)) != std::string::npos;) text.replace(at, path.size(), "DIR");
  return text;
}

/// The last `max` lines of a session's log, runs of the same message (after the
/// "HH:MM:SS.mmm " time) collapsed into one line with a count.
std::string short_log(const std::string& log, size_t max = 14) {
  std::vector<std::pair<std::string, int>> runs;
  for (const auto& l : lines(log)) {
    const std::string body = l.size() > 13 && l[2] == ':' && l[8] == '.' ? l.substr(13) : l;
    const std::string prev = runs.empty() ? "" : runs.back().first;
    const std::string prev_body =
        prev.size() > 13 && prev[2] == ':' && prev[8] == '.' ? prev.substr(13) : prev;
    if (!runs.empty() && prev_body == body) {
      ++runs.back().second;
    } else {
      runs.push_back({l, 1});
    }
  }
  std::string out;
  for (size_t i = runs.size() > max ? runs.size() - max : 0; i < runs.size(); ++i) {
    out += "  " + runs[i].first.substr(0, 400);
    if (runs[i].second > 1) out += "  (x" + std::to_string(runs[i].second) + ")";
    out += "\n";
  }
  return out;
}

// ---- the fixture ------------------------------------------------------------------------

class Fault : public ::testing::Test {
 protected:
  void SetUp() override {
    name_ = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    dir_ = lab->state_dir() + "/" + name_;
    std::filesystem::create_directories(dir_);
    state_ = dir_ + "/state";
    // Every case starts from testvm1 powered on at esx01, no flood, no skew.
    lab->post("/settings?flood_pps=0");
    put_vm(*lab, "testvm1", "esx01");
    vc_ = connect();
    ASSERT_TRUE(vc_);
    auto vm = vc_->find_vm("testvm1");
    ASSERT_TRUE(vm.ok()) << vm.error().message;
    testvm1_ = *vm;
    ASSERT_EQ(std::nullopt, override_of(testvm1_)) << "testvm1 starts with no DRS override";
    ASSERT_TRUE(pktcaps_on_hosts(*lab).empty()) << joined(pktcaps_on_hosts(*lab));
  }

  void TearDown() override {
    // Undo whatever a failed case left, so the next case starts clean.
    auto r = sh(capture_binary() + " --state-dir '" + state_ + "' cleanup --into '" + dir_ +
                "/teardown-fetched' 2>&1");
    if (r.out.find("nothing to clean up") == std::string::npos)
      std::printf("[%s] teardown cleanup: %s", name_.c_str(), r.out.c_str());
  }

  std::unique_ptr<vsphere::VCenter> connect() {
    const auto& v = lab->info().at("vcenter");
    vsphere::ConnectOptions o;
    o.url = v.at("url");
    o.user = v.at("user");
    o.password = v.at("password");
    o.ca_file = v.at("ca_cert");
    auto vc = vsphere::VCenter::connect(o);
    EXPECT_TRUE(vc.ok()) << vc.error().message;
    return vc.ok() ? std::move(*vc) : nullptr;
  }

  std::optional<std::string> override_of(const model::VmInfo& vm) { return override_in(vm.cluster, vm.ref); }
  std::optional<std::string> override_in(const model::MoRef& cluster, const model::MoRef& vm) {
    auto c = vc_->cluster_info(cluster);
    if (!c.ok()) {  // our own session may have been ended by a vCenter restart
      vc_ = connect();
      c = vc_->cluster_info(cluster);
    }
    EXPECT_TRUE(c.ok()) << c.error().message;
    if (!c.ok()) return std::nullopt;
    for (const auto& o : c->overrides)
      if (o.vm == vm) return o.behavior;
    return std::nullopt;
  }

  std::string out(const std::string& tag) const { return dir_ + "/" + tag + ".pcapng"; }
  // `capture plan run` of an on-host plan named `tag`, writing `output`, once its
  // override is set and its first capture file is on datastore1; empty with `why` set
  // when that did not happen.
  std::unique_ptr<CaptureProcess> start_on_host(const std::string& tag, const std::string& output,
                                                std::string& why);

  std::unique_ptr<CaptureProcess> start(const std::string& tag, const std::string& vm,
                                        const std::string& extra = "",
                                        const std::string& output = "") {
    const std::string o = output.empty() ? out(tag) : output;
    return std::make_unique<CaptureProcess>(
        "--state-dir '" + state_ + "' vm '" + vm + "' -w '" + o + "' " + extra,
        dir_ + "/" + tag + ".log");
  }

  /// Frames in the file being written (the writer flushes once a second).
  static size_t frames_in_progress(const std::string& output) {
    for (const auto& f : {output + ".part", output}) {
      if (access(f.c_str(), R_OK) == 0) return read_frames(f).size();
    }
    return 0;
  }

  /// Frames of VM port captures in the file being written, stamped at or after `t`.
  static size_t port_frames_since(const std::string& output, int64_t t, const std::string& host = "") {
    for (const auto& f : {output + ".part", output}) {
      if (access(f.c_str(), R_OK) != 0) continue;
      size_t n = 0;
      for (const auto& fr : read_frames(f)) n += fr.port_pin() && fr.ts >= t && (host.empty() || fr.host == host);
      return n;
    }
    return 0;
  }

  /// Waits until the file being written holds more frames than now (it is flushed once a
  /// second): the session has captured for a while.
  ::testing::AssertionResult wait_more_frames(CaptureProcess& cap, const std::string& output) {
    const size_t now = frames_in_progress(output);
    if (!wait_until([&] { return frames_in_progress(output) > now || !cap.running(); }, 15s, 250ms) ||
        !cap.running())
      return ::testing::AssertionFailure() << "no more frames in " << output << "; log:\n" << short_log(cap.log());
    return ::testing::AssertionSuccess();
  }

  /// Waits until the file being written holds a VM port capture's frame stamped at or
  /// after `t` (of `host` when given): the session captures (again) by then.
  ::testing::AssertionResult wait_frames_since(CaptureProcess& cap, const std::string& output, int64_t t,
                                               const std::string& host = "", std::chrono::seconds limit = 40s) {
    if (!wait_until([&] { return port_frames_since(output, t, host) > 0 || !cap.running(); }, limit, 250ms) ||
        !cap.running())
      return ::testing::AssertionFailure() << "no frame stamped after " << capture::format_time(t) << " in "
                                           << output << "; log:\n" << short_log(cap.log());
    return ::testing::AssertionSuccess();
  }

  /// Waits until the session started a capture after `starts_before` had been
  /// journaled, then until its file holds a frame from after that (and `not_before`).
  ::testing::AssertionResult wait_capturing_again(CaptureProcess& cap, const std::string& output,
                                                  size_t starts_before, int64_t not_before = 0) {
    if (!wait_until([&] { return captures_started(state_) > starts_before || !cap.running(); }, 60s) ||
        !cap.running())
      return ::testing::AssertionFailure() << "no capture started again; log:\n" << short_log(cap.log());
    return wait_frames_since(cap, output, std::max(now_ns(), not_before));
  }

  /// Waits until testvm1's current port has seen `n` frames since `t` (truth.jsonl): an
  /// on-host capture of it has that much in its file on the datastore.
  static bool wait_port_frames(int n, int64_t t) {
    return wait_until(
        [&] {
          const auto [host, port] = current_port(*lab, "testvm1");
          return frames_on(*lab, host, port, t) >= n;
        },
        20s, 250ms);
  }

  /// Waits until the session has set its override, runs a pktcap-uw and has frames in
  /// its file.
  ::testing::AssertionResult wait_capturing(CaptureProcess& cap, const std::string& output,
                                            const model::VmInfo* vm = nullptr) {
    if (vm && !wait_until([&] { return override_of(*vm) == "manual" || !cap.running(); }, 30s))
      return ::testing::AssertionFailure() << "no DRS override set; log:\n" << short_log(cap.log());
    if (!wait_until([&] { return frames_in_progress(output) > 0 || !cap.running(); }, 30s, 500ms))
      return ::testing::AssertionFailure() << "no frame in " << output << "; log:\n" << short_log(cap.log());
    if (!cap.running())
      return ::testing::AssertionFailure() << "the session exited (" << cap.exit_code().value_or(-1)
                                           << "); log:\n" << short_log(cap.log());
    return ::testing::AssertionSuccess();
  }

  /// A copy of the file as it is now (what the session has written so far).
  std::vector<CapFrame> snapshot(const std::string& output) {
    const std::string snap = dir_ + "/snapshot.pcapng";
    for (const auto& f : {output + ".part", output}) {
      if (access(f.c_str(), R_OK) == 0) {
        sh("cp '" + f + "' '" + snap + "'");
        return read_frames(snap);
      }
    }
    return {};
  }

  /// The checks every case makes once its session is over.
  void common_checks(const Outcome& o, const std::vector<CapFrame>& snap, const std::string& vm,
                     int64_t fault, const Coverage& cov, const std::optional<std::string>& before,
                     const model::MoRef& cluster, const model::MoRef& vm_ref) {
    EXPECT_TRUE(o.has_manifest()) << "no manifest";
    const size_t gone = missing_from_final(snap, o);
    EXPECT_EQ(0u, gone) << "frames written before the fault are gone from the final file";
    if (!snap.empty())
      std::printf("[%s] %zu frames were in the file just before the fault; %zu of them missing "
                  "from the final file\n", name_.c_str(), snap.size(), gone);
    EXPECT_TRUE(cov.lost.empty()) << vm << ": " << cov.text() << "\n" << lost_list(cov) << gaps_text(o);
    EXPECT_GT(o.frames_of([&](const CapFrame& f) { return f.port_pin() && f.ts < fault; }), 0u)
        << "no frame captured before the fault";
    EXPECT_EQ(0u, duplicates(o)) << "the same frame twice in the file";
    auto left = pktcaps_on_hosts(*lab);
    EXPECT_TRUE(left.empty()) << "pktcap-uw left running:\n" << joined(left);
    EXPECT_EQ(before, override_in(cluster, vm_ref)) << "DRS override not back to what it was";
  }

  std::string name_, dir_, state_;
  std::unique_ptr<vsphere::VCenter> vc_;
  model::VmInfo testvm1_;
};

// 1. vCenter restarts mid-session: the session keeps capturing, logs in again, re-syncs,
//    and follows a reset made after the restart to the VM's new port.
TEST_F(Fault, VcenterRestartMidSession) {
  const std::string o = out("vc");
  auto cap = start("vc", "testvm1");
  ASSERT_TRUE(wait_capturing(*cap, o, &testvm1_));
  ASSERT_TRUE(wait_more_frames(*cap, o));
  auto snap = snapshot(o);
  const int64_t fault = now_ns();
  lab->post("/fault/vcenter-restart?seconds=2");
  // Down 2 s, then the session logs in again and re-syncs its VMs (said in its log).
  ASSERT_TRUE(wait_until([&] { return cap->log().find("Resynced") != std::string::npos || !cap->running(); }, 60s))
      << short_log(cap->log());
  ASSERT_TRUE(cap->running()) << "the session exited at the vCenter restart:\n" << short_log(cap->log());
  const int64_t reset_at = now_ns();
  auto after = json::parse(lab->post("/vm/testvm1/reset"));
  const int64_t new_port = after.at("ports").begin()->get<int64_t>();
  // Re-pinned to the new port, and the boot's DHCP exchange (1 s after it) on the wire.
  ASSERT_TRUE(wait_until(
      [&] { return capture_started(state_, "esx01", new_port) && dhcp_frames_of(*lab, "testvm1", reset_at) >= 4; },
      20s))
      << short_log(cap->log());
  EXPECT_TRUE(cap->running());
  EXPECT_EQ(0, cap->stop(SIGINT)) << short_log(cap->log());

  auto res = load_outcome(o);
  auto truth = truth_frames_on("testvm1", res.start, res.end);
  auto cov = coverage(res, truth);
  common_checks(res, snap, "testvm1", fault, cov, std::nullopt, testvm1_.cluster, testvm1_.ref);
  // Followed the reset: a capture of the new port, the boot's DHCP exchange in the file.
  const PinWin* pin = nullptr;
  for (const auto& p : res.pins)
    if (p.host == "esx01" && p.port == std::to_string(new_port)) pin = &p;
  ASSERT_NE(nullptr, pin) << "no capture of the new port " << new_port << " after the reset";
  const size_t on_new = res.frames_of([&](const CapFrame& f) { return f.port == std::to_string(new_port); });
  EXPECT_GT(on_new, 0u);
  auto dhcp = sh("tshark -r '" + o + "' -Y 'dhcp && dhcp.hw.mac_addr == " + testvm1_.nics.at(0).mac +
                 " && frame.time_epoch > " + std::to_string(reset_at / kSec) + "' 2>/dev/null | wc -l");
  int truth_dhcp = 0;
  for (const auto& t : truth)
    if (t.kind.rfind("dhcp", 0) == 0 && t.vm == "testvm1" && t.t > reset_at) ++truth_dhcp;
  EXPECT_EQ(4, truth_dhcp);
  EXPECT_EQ(truth_dhcp, std::stoi(dhcp.out)) << "the DHCP exchange of the boot after the restart";
  auto resync = res.events("Resynced");
  std::printf("[vcenter-restart] frames before the restart %zu, after it %zu (on the new port %lld: "
              "%zu); reset -> capture of the new port %.3f s; DHCP after the reset %d/%d; %s\n"
              "%s  re-sync events: %zu%s%s\n",
              res.frames_of([&](const CapFrame& f) { return f.ts < fault; }),
              res.frames_of([&](const CapFrame& f) { return f.ts >= fault; }),
              static_cast<long long>(new_port), on_new, secs(pin->start - reset_at),
              std::stoi(dhcp.out), truth_dhcp, cov.text().c_str(), gaps_text(res).c_str(),
              resync.size(), resync.empty() ? "" : "\n  ", joined(resync, "\n  ").c_str());
}

// 2. A host's SSH connections drop mid-session: the capture comes back; the manifest
//    reports the gap.
TEST_F(Fault, SshDropMidSession) {
  const std::string o = out("drop");
  auto cap = start("drop", "testvm1");
  ASSERT_TRUE(wait_capturing(*cap, o, &testvm1_));
  ASSERT_TRUE(wait_more_frames(*cap, o));
  auto snap = snapshot(o);
  const size_t starts = captures_started(state_);
  const int64_t fault = now_ns();
  lab->post("/fault/ssh-drop?host=esx01");
  ASSERT_TRUE(wait_capturing_again(*cap, o, starts));
  EXPECT_TRUE(cap->running()) << short_log(cap->log());
  EXPECT_EQ(0, cap->stop(SIGINT)) << short_log(cap->log());

  auto res = load_outcome(o);
  auto truth = truth_frames_on("testvm1", res.start, res.end);
  auto cov = coverage(res, truth);
  common_checks(res, snap, "testvm1", fault, cov, std::nullopt, testvm1_.cluster, testvm1_.ref);
  const GapWin* gap = nullptr;
  for (const auto& g : res.gaps)
    if (g.from >= fault - kEdge && !gap) gap = &g;
  ASSERT_NE(nullptr, gap) << "no gap reported after the SSH drop\n" << gaps_text(res);
  const int64_t back = gap->to;
  const size_t after = res.frames_of([&](const CapFrame& f) { return f.port_pin() && f.ts > back; });
  EXPECT_GT(after, 0u) << "nothing captured after the SSH drop";
  const Window w = window(res, truth, fault - kEdge, back + kEdge);
  std::printf("[ssh-drop] frames before the drop %zu, after recovery %zu; drop -> capture back "
              "%.3f s (gap %.3f s, from %+.3f s after the drop); from 1 s before the drop to 1 s "
              "after the recovery %zu frames crossed the port, %zu missing (%+.3f s .. %+.3f s); "
              "%s\n%s",
              res.frames_of([&](const CapFrame& f) { return f.port_pin() && f.ts < fault; }), after,
              secs(back - fault), secs(gap->to - gap->from), secs(gap->from - fault), w.crossed,
              w.missing(), w.first_missing ? secs(w.first_missing - fault) : 0.0,
              w.last_missing ? secs(w.last_missing - fault) : 0.0, cov.text().c_str(),
              gaps_text(res).c_str());
}

// 3. A host unreachable for 30 s (the lab stalls its connections and holds new ones):
//    the session does not exit, captures again after, every frame of the outage is
//    either in the file or inside a reported gap, which starts when the host was last
//    heard from (not when the loss was noticed), and the cut-off pktcap-uw is stopped.
TEST_F(Fault, HostUnreachableFor30s) {
  const std::string o = out("unreach");
  auto cap = start("unreach", "testvm1");
  ASSERT_TRUE(wait_capturing(*cap, o, &testvm1_));
  ASSERT_TRUE(wait_more_frames(*cap, o));
  auto snap = snapshot(o);
  const size_t starts = captures_started(state_);
  const int64_t fault = now_ns();
  lab->post("/fault/unreachable?host=esx01&seconds=30");
  const int64_t reachable = fault + 30 * kSec;
  // The session must not exit for the whole outage (the deadline is its end).
  const bool exited = wait_until([&] { return !cap->running(); },
                                 std::chrono::milliseconds((reachable - now_ns()) / 1'000'000), 500ms);
  ASSERT_FALSE(exited) << "the session exited while the host was unreachable:\n" << short_log(cap->log());
  ASSERT_TRUE(wait_capturing_again(*cap, o, starts, reachable + kEdge));
  EXPECT_TRUE(cap->running()) << short_log(cap->log());
  EXPECT_EQ(0, cap->stop(SIGINT)) << short_log(cap->log());

  auto res = load_outcome(o);
  auto truth = truth_frames_on("testvm1", res.start, res.end);
  auto cov = coverage(res, truth);
  common_checks(res, snap, "testvm1", fault, cov, std::nullopt, testvm1_.cluster, testvm1_.ref);
  const size_t after = res.frames_of([&](const CapFrame& f) { return f.port_pin() && f.ts > reachable + kEdge; });
  EXPECT_GT(after, 0u) << "nothing captured after the host came back";
  size_t truth_out = 0, got_out = 0;
  for (const auto& t : truth)
    if (t.t >= fault && t.t < reachable) ++truth_out;
  got_out = res.frames_of([&](const CapFrame& f) { return f.port_pin() && f.ts >= fault && f.ts < reachable; });
  double gap_total = 0;
  int64_t gap_from = 0, gap_to = 0;
  for (const auto& g : res.gaps) {
    gap_total += secs(g.to - g.from);
    if (!gap_from || g.from < gap_from) gap_from = g.from;
    gap_to = std::max(gap_to, g.to);
  }
  ASSERT_NE(0, gap_from) << "no gap reported for a 30 s outage";
  EXPECT_LE(gap_from, fault + kEdge) << "the gap starts after frames were already lost";
  // The stretch really missing from the file: first and last lost frame (in a gap or not).
  const Window w = window(res, truth, fault - kEdge, res.end);
  const size_t missing = w.missing();
  const int64_t miss_from = w.first_missing, miss_to = w.last_missing;
  std::printf("[unreachable-30s] frames before %zu, during the 30 s outage %zu of %zu that crossed "
              "the port, after %zu; %zu frames missing, from %+.3f s to %+.3f s after the fault; "
              "gaps reported: %.3f s in all, from %+.3f s to %+.3f s after the fault (host "
              "reachable again at +30 s); late frames %lld; %s\n%s",
              res.frames_of([&](const CapFrame& f) { return f.port_pin() && f.ts < fault; }), got_out,
              truth_out, after, missing, miss_from ? secs(miss_from - fault) : 0.0,
              miss_to ? secs(miss_to - fault) : 0.0, gap_total, secs(gap_from - fault),
              secs(gap_to - fault),
              static_cast<long long>(res.has_manifest() ? res.manifest["counts"].value("late_frames", 0) : -1),
              cov.text().c_str(), gaps_text(res).c_str());
  for (const auto& e : res.events("esx01")) std::printf("  %s\n", e.substr(0, 220).c_str());
}

// A host that does not answer at all when the session starts (its address blackholed:
// each SSH connect hangs for its whole 15 s timeout): the session's other host is not
// held up. testvm1 (esx01) is captured meanwhile and its reset followed as usual, with
// the boot's DHCP exchange in the file; db01 (esx02) is captured once esx02 answers.
TEST_F(Fault, SilentHostAtStartDoesNotHoldUpTheOthers) {
  auto db01 = vc_->find_vm("db01");
  ASSERT_TRUE(db01.ok()) << db01.error().message;
  ASSERT_EQ("esx02", db01->host_name);
  const int64_t fault = now_ns();
  lab->post("/fault/unreachable?host=esx02&seconds=20");
  const int64_t answers = fault + 20 * kSec;
  const std::string o = out("silent"), plan = dir_ + "/silent.yaml";
  std::ofstream(plan) << "name: silent\ntargets:\n  vms:\n    - testvm1\n    - db01\noutput:\n  path: " << o
                      << "\n";
  CaptureProcess cap("--state-dir '" + state_ + "' plan run '" + plan + "'", dir_ + "/silent.log");
  ASSERT_TRUE(wait_capturing(cap, o, &testvm1_));
  ASSERT_TRUE(wait_more_frames(cap, o));
  const int64_t reset_at = now_ns();
  auto after = json::parse(lab->post("/vm/testvm1/reset"));
  const int64_t new_port = after.at("ports").begin()->get<int64_t>();
  // testvm1 followed through its reset (its boot's DHCP on the wire) while esx02 is
  // silent; then db01 captured once esx02 answers.
  ASSERT_TRUE(wait_until(
      [&] { return capture_started(state_, "esx01", new_port) && dhcp_frames_of(*lab, "testvm1", reset_at) >= 4; },
      20s))
      << short_log(cap.log());
  ASSERT_TRUE(wait_frames_since(cap, o, answers, "esx02", 60s));
  ASSERT_TRUE(cap.running()) << short_log(cap.log());
  EXPECT_EQ(0, cap.stop(SIGINT)) << short_log(cap.log());
  const std::string log = without(cap.log(), lab->state_dir());

  auto res = load_outcome(o);
  auto truth = truth_frames_on("testvm1", res.start, res.end);
  const PinWin* pin = nullptr;
  for (const auto& p : res.pins)
    if (p.host == "esx01" && p.port == std::to_string(new_port)) pin = &p;
  ASSERT_NE(nullptr, pin) << "no capture of testvm1's new port " << new_port << " after the reset\n"
                          << short_log(log);
  auto dhcp = sh("tshark -r '" + o + "' -Y 'dhcp && dhcp.hw.mac_addr == " + testvm1_.nics.at(0).mac +
                 " && frame.time_epoch > " + std::to_string(reset_at / kSec) + "' 2>/dev/null | wc -l");
  int truth_dhcp = 0;
  for (const auto& t : truth)
    if (t.kind.rfind("dhcp", 0) == 0 && t.vm == "testvm1" && t.t > reset_at) ++truth_dhcp;
  EXPECT_EQ(4, truth_dhcp);
  EXPECT_EQ(truth_dhcp, std::stoi(dhcp.out)) << "testvm1's DHCP after its reset, while esx02 was silent\n"
                                             << short_log(log);
  const Window w = window(res, truth, reset_at + 2 * kSec, answers);
  EXPECT_EQ(0u, w.missing()) << "testvm1 frames lost while esx02 was silent\n" << gaps_text(res);
  int64_t first_esx02 = 0;
  for (const auto& f : res.frames)
    if (f.host == "esx02" && (!first_esx02 || f.ts < first_esx02)) first_esx02 = f.ts;
  ASSERT_NE(0, first_esx02) << "db01 never captured after esx02 answered\n" << short_log(log);
  EXPECT_GE(first_esx02, answers - kEdge);
  EXPECT_NE(std::string::npos, log.find("esx02")) << "nothing said about esx02\n" << short_log(log);
  EXPECT_TRUE(pktcaps_on_hosts(*lab).empty()) << joined(pktcaps_on_hosts(*lab));
  EXPECT_EQ(std::nullopt, override_of(testvm1_));
  EXPECT_EQ(std::nullopt, override_of(*db01));
  std::printf("[silent-host-at-start] esx02 silent for the first 20 s; testvm1 reset at %+.3f s -> "
              "capture of its new port %.3f s later; its DHCP after the reset %d/%d; testvm1 frames "
              "%zu of %zu that crossed from 2 s after the reset until esx02 answered; db01's first "
              "frame %+.3f s after esx02 answered; what the session said of esx02:\n",
              secs(reset_at - fault), secs(pin->start - reset_at), std::stoi(dhcp.out), truth_dhcp,
              w.captured, w.crossed, secs(first_esx02 - answers));
  for (const auto& l : lines(log))
    if (l.find("esx02") != std::string::npos) std::printf("  %s\n", l.substr(0, 200).c_str());
}

// 4. The capture process is killed with SIGKILL, and a new session on the same VM is
//    started: it first undoes what the killed one left (remote captures, the override),
//    then captures normally; the killed session's file so far is readable.
TEST_F(Fault, SigkillThenNewSessionUndoesLeftovers) {
  const std::string oa = out("killed"), ob = out("next");
  auto a = start("killed", "testvm1");
  ASSERT_TRUE(wait_capturing(*a, oa, &testvm1_));
  ASSERT_TRUE(wait_more_frames(*a, oa));
  const int64_t fault = now_ns();
  a->stop(SIGKILL);
  ASSERT_EQ(std::optional<std::string>("manual"), override_of(testvm1_)) << "nothing undone yet";
  const auto left = pktcaps_on_hosts(*lab);
  auto status_before = sh(capture_binary() + " --state-dir '" + state_ + "' status").out;
  EXPECT_NE(std::string::npos, status_before.find("left-over")) << status_before;

  auto b = start("next", "testvm1");
  ASSERT_TRUE(wait_capturing(*b, ob, &testvm1_));
  const std::string blog = b->log();
  EXPECT_NE(std::string::npos, blog.find("cleanup of session")) << "the new session did not undo "
                                                                    "the killed one's left-overs:\n"
                                                                 << short_log(blog);
  auto status_during = sh(capture_binary() + " --state-dir '" + state_ + "' status").out;
  EXPECT_EQ(std::string::npos, status_during.find("left-over")) << status_during;
  EXPECT_EQ(1u, pktcaps_on_hosts(*lab).size()) << joined(pktcaps_on_hosts(*lab));
  ASSERT_TRUE(wait_more_frames(*b, ob));
  EXPECT_EQ(0, b->stop(SIGINT)) << short_log(b->log());

  // The killed session's frames so far.
  std::string part = access((oa + ".part").c_str(), R_OK) == 0 ? oa + ".part" : oa;
  auto killed = read_frames(part);
  EXPECT_GT(killed.size(), 0u) << "nothing readable in " << part;
  auto killed_truth = truth_frames_on("testvm1", fault - 60 * kSec, fault);
  std::multiset<std::pair<int64_t, int>> tk;
  for (const auto& t : killed_truth) tk.insert({t.t / 1000, t.len});
  size_t matched = 0;
  for (const auto& f : killed)
    if (f.port_pin() && tk.count({f.ts / 1000, f.len})) ++matched;
  EXPECT_EQ(killed.size(), matched) << "frames in the killed session's file that never crossed the port";

  auto res = load_outcome(ob);
  auto truth = truth_frames_on("testvm1", res.start, res.end);
  auto cov = coverage(res, truth);
  common_checks(res, {}, "testvm1", now_ns(), cov, std::nullopt, testvm1_.cluster, testvm1_.ref);
  std::string cleanup_lines;
  for (const auto& l : lines(blog))
    if (l.find("cleanup of session") != std::string::npos) cleanup_lines += "  " + l + "\n";
  std::printf("[sigkill+restart] after kill -9: %zu pktcap-uw left on hosts%s%s; killed session's "
              "file %s: %zu frames readable (%zu match the lab's truth); new session: %zu frames, "
              "%s\n  the new session's log:\n%s",
              left.size(), left.empty() ? "" : ": ", joined(left, "; ").c_str(), part.c_str(),
              killed.size(), matched, res.frames.size(), cov.text().c_str(), cleanup_lines.c_str());
}

// 5. The local disk fills (a 2 MB tmpfs as the output directory): the session stops (or
//    rotates) with a clear error, keeps the frames written, stops the remote captures,
//    restores the override and exits non-zero saying what to do.
TEST_F(Fault, LocalDiskFull) {
  const std::string mnt = dir_ + "/small";
  std::filesystem::create_directories(mnt);
  ASSERT_EQ(0, sh("mount -t tmpfs -o size=2m tmpfs '" + mnt + "' 2>&1").status) << "mount needs root";
  struct Unmount {
    std::string dir;
    ~Unmount() { sh("umount '" + dir + "' 2>/dev/null || umount -l '" + dir + "'"); }
  } unmount{mnt};
  // Leave ~300 KB free, and let testvm1 send ~150 KB/s.
  sh("dd if=/dev/zero of='" + mnt + "/ballast' bs=1k count=1750 2>/dev/null");
  lab->post("/settings?flood_pps=300&flood_vm=testvm1&flood_frame_len=500");
  const std::string o = mnt + "/full.pcapng";
  auto cap = start("full", "testvm1", "", o);
  ASSERT_TRUE(wait_until([&] { return override_of(testvm1_) == "manual" || !cap->running(); }, 30s));
  // While it runs: how many frames the file being written holds, and when the disk is full.
  const int64_t started = now_ns();
  size_t most_written = 0;
  int64_t full_at = 0;
  std::optional<int> rc;
  while (!(rc = cap->wait_exit(1s)) && now_ns() - started < 15 * kSec) {
    if (access((o + ".part").c_str(), R_OK) == 0)
      most_written = std::max(most_written, read_frames(o + ".part").size());
    if (!full_at && sh("df -k --output=avail '" + mnt + "' | tail -1").out.find_first_not_of(" 0\n") ==
                        std::string::npos)
      full_at = now_ns();
  }
  const int64_t ended = now_ns();
  lab->post("/settings?flood_pps=0");
  const bool stopped_itself = rc.has_value();
  if (!rc) rc = cap->stop(SIGINT);
  const std::string log = without(cap->log(), lab->state_dir());
  auto df = sh("df -k '" + mnt + "' | tail -1").out;
  auto listing = sh("ls -la '" + mnt + "'").out;

  EXPECT_TRUE(stopped_itself) << "the session went on with a full disk for 15 s:\n" << short_log(log);
  EXPECT_NE(0, *rc) << "exit code 0 although the output could not be written:\n" << short_log(log);
  const bool says_space = log.find("space") != std::string::npos || log.find("full") != std::string::npos;
  EXPECT_TRUE(says_space) << "no message about the full disk:\n" << short_log(log);
  size_t readable = 0;
  std::string readable_file;
  for (const auto& f : {o, o + ".part"}) {
    if (access(f.c_str(), R_OK) != 0) continue;
    auto fr = read_frames(f);
    if (fr.size() > readable) readable = fr.size(), readable_file = f;
  }
  EXPECT_GT(readable, 0u) << "no frame of the session is readable (" << most_written
                          << " were in " << o << ".part while it ran):\n" << listing << short_log(log);
  auto left = pktcaps_on_hosts(*lab);
  EXPECT_TRUE(left.empty()) << joined(left);
  EXPECT_EQ(std::nullopt, override_of(testvm1_));
  std::printf("[disk-full] disk full %.1f s after the start; the session %s after %.1f s (exit %d); "
              "%zu frames were in the file while it ran, %zu readable after (%s); disk: %s"
              "files:\n%s  log ends:\n%s",
              full_at ? secs(full_at - started) : -1.0,
              stopped_itself ? "stopped by itself" : "did NOT stop (stopped with SIGINT)",
              secs(ended - started), *rc, most_written, readable,
              readable_file.empty() ? "no file" : readable_file.c_str(), df.c_str(), listing.c_str(),
              short_log(log, 6).c_str());
}

// Runs `cmd` on a lab host over OpenSSH (the lab's ssh_config); stdout and stderr.
std::string ssh_lab_host(const std::string& host, const std::string& cmd) {
  (void)pktcap_lines_on(*lab, *find_by_name(lab->info().at("hosts"), host));  // writes askpass.sh
  return sh("SSH_ASKPASS='" + lab->state_dir() + "/askpass.sh' SSH_ASKPASS_REQUIRE=force ssh -F '" +
            lab->info().at("ssh_config").get<std::string>() + "' " + host + " '" + cmd + "' 2>&1")
      .out;
}

/// Writes a plan capturing testvm1 to `output` with on-host output on datastore1.
void write_on_host_plan(const std::string& plan, const std::string& name, const std::string& output) {
  std::ofstream f(plan);
  f << "name: " << name << "\ntargets:\n  vms:\n    - testvm1\noutput:\n  path: " << output
    << "\n  on_host:\n    datastore: datastore1\n";
}

/// Capture files of ours on datastore1 (vmc-*.pcap under vm-capture/).
std::vector<std::string> our_files_on_datastore1() {
  std::vector<std::string> out;
  for (const auto& l : lines(ssh_lab_host("esx01", "ls /vmfs/volumes/datastore1/vm-capture")))
    if (l.rfind("vmc-", 0) == 0) out.push_back(l);
  return out;
}

// 6. On-host output (a plan's output.on_host: the capture written on the datastore and
//    fetched when it stops) while the datastore fills: the lab's pktcap-uw ends with a
//    write error, the session ends by itself saying why (not restarting the capture on
//    a full datastore), and what was written is fetched and kept; nothing of ours is left
//    on the datastore, nothing left running, the override is restored.
std::unique_ptr<CaptureProcess> Fault::start_on_host(const std::string& tag,
                                                    const std::string& output, std::string& why) {
  const std::string plan = dir_ + "/" + tag + ".yaml";
  write_on_host_plan(plan, tag, output);
  auto cap = std::make_unique<CaptureProcess>("--state-dir '" + state_ + "' plan run '" + plan + "'",
                                              dir_ + "/" + tag + ".log");
  if (!wait_until([&] { return override_of(testvm1_) == "manual" || !cap->running(); }, 30s) ||
      !cap->running()) {
    why = "the session did not start:\n" + short_log(cap->log());
    return nullptr;
  }
  if (!wait_until([&] { return !our_files_on_datastore1().empty() || !cap->running(); }, 30s) ||
      !cap->running()) {
    why = "no capture file on datastore1:\n" + short_log(cap->log());
    return nullptr;
  }
  return cap;
}

TEST_F(Fault, DatastoreFullOnHostOutput) {
  const std::string o = out("onhost");
  const std::string plan = dir_ + "/onhost.yaml";
  write_on_host_plan(plan, "onhost-fault", o);
  auto check = sh(capture_binary() + " plan check '" + plan + "' 2>&1");
  ASSERT_EQ(0, check.status) << check.out;
  auto cap = std::make_unique<CaptureProcess>("--state-dir '" + state_ + "' plan run '" + plan + "'",
                                              dir_ + "/onhost.log");
  const int64_t started = now_ns();
  ASSERT_TRUE(wait_until([&] { return override_of(testvm1_) == "manual" || !cap->running(); }, 30s))
      << short_log(cap->log());
  // Its capture file is on datastore1 and holds frames (they crossed the port since).
  ASSERT_TRUE(wait_until([&] { return !our_files_on_datastore1().empty() || !cap->running(); }, 30s))
      << short_log(cap->log());
  ASSERT_TRUE(wait_port_frames(3, std::max(started, now_ns())));
  auto ssh_esx01 = [&](const std::string& cmd) { return ssh_lab_host("esx01", cmd); };
  const std::string on_ds_before = ssh_esx01("ls -l /vmfs/volumes/datastore1/vm-capture");
  const std::string vdf_before = ssh_esx01("vdf -h");
  const auto procs = pktcaps_on_hosts(*lab);
  const bool writes_on_host = std::any_of(procs.begin(), procs.end(), [](const std::string& p) {
    return p.find("/vmfs/volumes/datastore1") != std::string::npos;
  });
  EXPECT_TRUE(writes_on_host) << "output.on_host is ignored: pktcap-uw does not write on datastore1\n"
                              << joined(procs) << "\n" << on_ds_before;
  const int64_t fault = now_ns();
  lab->post("/fault/fill?target=datastore1");
  const std::string vdf_full = ssh_esx01("vdf -h");
  auto rc = cap->wait_exit(10s);
  const bool stopped_itself = rc.has_value();
  const int64_t ended = now_ns();
  if (!rc) rc = cap->stop(SIGINT);
  const auto left_on_ds = our_files_on_datastore1();
  const std::string on_ds_after = ssh_esx01("ls -l /vmfs/volumes/datastore1/vm-capture");
  ssh_esx01("rm /vmfs/volumes/datastore1/lab-fill.bin");
  EXPECT_EQ(std::string::npos, ssh_esx01("ls /vmfs/volumes/datastore1").find("lab-fill.bin"));
  const std::string log = without(cap->log(), lab->state_dir());
  EXPECT_TRUE(stopped_itself) << "the session went on for 10 s with its datastore full:\n" << short_log(log);
  EXPECT_NE(0, *rc) << "exit code 0 although the capture could not go on:\n" << short_log(log);
  EXPECT_TRUE(log.find("datastore") != std::string::npos || log.find("space") != std::string::npos)
      << "no message about the full datastore:\n" << short_log(log);
  EXPECT_TRUE(left_on_ds.empty()) << "capture files left on datastore1 (not fetched):\n"
                                  << joined(left_on_ds) << "\n" << short_log(log);

  auto res = load_outcome(o);
  EXPECT_TRUE(res.has_manifest()) << "no manifest:\n" << short_log(log);
  EXPECT_GT(res.frames.size(), 0u) << "nothing fetched/kept";
  EXPECT_GT(res.frames_of([&](const CapFrame& f) { return f.ts < fault; }), 0u);
  EXPECT_EQ(0u, duplicates(res)) << "the same frame twice in the file";
  // Every frame that crossed the port while the capture ran is in the file, up to the
  // fill (after it pktcap-uw cannot write) and up to kEdge before it.
  auto truth = truth_frames_on("testvm1", res.start, fault - kEdge);
  size_t crossed = 0, kept = 0;
  {
    std::multiset<std::pair<int64_t, int>> got;
    for (const auto& f : res.frames)
      if (f.port_pin()) got.insert({f.ts / 1000, f.len});
    for (const auto& t : truth) {
      const bool watched = std::any_of(res.pins.begin(), res.pins.end(), [&](const PinWin& p) {
        return p.host == t.host && p.port == std::to_string(t.port) && t.t >= p.start;
      });
      if (!watched) continue;
      ++crossed;
      auto it = got.find({t.t / 1000, t.len});
      if (it != got.end()) {
        got.erase(it);
        ++kept;
      }
    }
  }
  EXPECT_EQ(crossed, kept) << "frames written on the datastore before the fill are missing";
  EXPECT_EQ(std::string::npos, log.find("left on the host")) << short_log(log);
  EXPECT_FALSE(std::filesystem::exists(o + ".onhost")) << "fetched copies not cleaned up";
  auto left = pktcaps_on_hosts(*lab);
  EXPECT_TRUE(left.empty()) << joined(left);
  EXPECT_EQ(std::nullopt, override_of(testvm1_));
  std::string why;
  for (const auto& l : lines(log))
    if (l.find("session failed") != std::string::npos) why = l.substr(0, 400);
  std::printf("[datastore-full] pktcap-uw writes on the datastore: %s; %s %.1f s after the fill "
              "(exit %d); %zu frames kept locally (%zu before the fill; %zu of %zu that crossed the "
              "port before it); capture files left on datastore1: %zu\n  pktcap-uw: %s\n  %s\n"
              "  datastore1 before the fill:\n%s  vdf -h after the fill:\n%s  after:\n%s",
              writes_on_host ? "yes" : "NO", stopped_itself ? "stopped by itself" : "did NOT stop",
              secs(ended - fault), *rc, res.frames.size(),
              res.frames_of([&](const CapFrame& f) { return f.ts < fault; }), kept, crossed,
              left_on_ds.size(), joined(procs, "; ").c_str(), why.c_str(), on_ds_before.c_str(),
              vdf_full.c_str(), on_ds_after.c_str());
  (void)vdf_before;
}

// 6b. On-host output through a reset: the VM's port changes, the session starts a
//     capture of the new port (a new file on the datastore) and fetches the old one;
//     frames from before and after the reset are in the output, in time order; nothing
//     is left on the datastore or running, the override is restored.
TEST_F(Fault, OnHostOutputThroughReset) {
  const std::string o = out("onhost-reset");
  std::string why;
  auto cap = start_on_host("onhost-reset", o, why);
  ASSERT_TRUE(cap) << why;
  ASSERT_TRUE(wait_port_frames(3, now_ns()));
  const auto files_before = our_files_on_datastore1();
  const int64_t reset_at = now_ns();
  auto after = json::parse(lab->post("/vm/testvm1/reset"));
  const int64_t new_port = after.at("ports").begin()->get<int64_t>();
  // Re-pinned (a new file on the datastore, the old one fetched), the boot's DHCP on the
  // wire, and frames on the new port since.
  ASSERT_TRUE(wait_until(
      [&] {
        const auto files = our_files_on_datastore1();
        return capture_started(state_, "esx01", new_port) && dhcp_frames_of(*lab, "testvm1", reset_at) >= 4 &&
               files.size() == 1 && files != files_before;
      },
      20s))
      << short_log(cap->log());
  ASSERT_TRUE(wait_port_frames(1, now_ns()));
  const auto files_during = our_files_on_datastore1();
  ASSERT_TRUE(cap->running()) << short_log(cap->log());
  const int rc = cap->stop(SIGINT);
  const std::string log = without(cap->log(), lab->state_dir());
  EXPECT_EQ(0, rc) << short_log(log);
  const auto files_after = our_files_on_datastore1();

  auto res = load_outcome(o);
  auto truth = truth_frames_on("testvm1", res.start, res.end);
  auto cov = coverage(res, truth);
  common_checks(res, {}, "testvm1", reset_at, cov, std::nullopt, testvm1_.cluster, testvm1_.ref);
  const size_t on_new = res.frames_of([&](const CapFrame& f) { return f.port == std::to_string(new_port); });
  const size_t before = res.frames_of([&](const CapFrame& f) { return f.port_pin() && f.ts < reset_at; });
  EXPECT_GT(on_new, 0u) << "nothing captured on the new port " << new_port << " after the reset";
  EXPECT_GT(before, 0u);
  size_t out_of_order = 0;
  for (size_t i = 1; i < res.frames.size(); ++i)
    if (res.frames[i].ts < res.frames[i - 1].ts) ++out_of_order;
  EXPECT_EQ(0u, out_of_order) << "frames not in time order in the output";
  EXPECT_EQ(1u, files_before.size()) << joined(files_before);
  EXPECT_EQ(1u, files_during.size()) << "the old capture's file is fetched at the re-pin:\n"
                                     << joined(files_during);
  EXPECT_NE(files_before, files_during) << "the new port is captured to a new file";
  EXPECT_TRUE(files_after.empty()) << "capture files left on datastore1:\n" << joined(files_after);
  EXPECT_FALSE(std::filesystem::exists(o + ".onhost")) << "fetched copies not cleaned up";
  std::printf("[onhost-reset] frames before the reset %zu, on the new port %lld %zu; %zu out of "
              "time order; files on datastore1 before the reset %s, after it %s, after the "
              "session %zu; late frames %lld; %s\n%s",
              before, static_cast<long long>(new_port), on_new, out_of_order,
              joined(files_before, ",").c_str(), joined(files_during, ",").c_str(), files_after.size(),
              static_cast<long long>(res.has_manifest() ? res.manifest["counts"].value("late_frames", 0) : -1),
              cov.text().c_str(), gaps_text(res).c_str());
}

// 6c. On-host output while the host's SSH connections drop: the capture on the host
//     goes on writing; the session stops it by PID once it reconnects, fetches its file
//     and starts a new one. Frames from before and after the drop are in the output;
//     nothing is left on the datastore or running.
TEST_F(Fault, OnHostOutputSshDrop) {
  const std::string o = out("onhost-drop");
  std::string why;
  auto cap = start_on_host("onhost-drop", o, why);
  ASSERT_TRUE(cap) << why;
  ASSERT_TRUE(wait_port_frames(3, now_ns()));
  const size_t starts = captures_started(state_);
  const int64_t fault = now_ns();
  lab->post("/fault/ssh-drop?host=esx01");
  // The session captures again (a new file; the cut-off capture stopped and fetched), and
  // the port sees frames more than 2 s after the drop.
  ASSERT_TRUE(wait_until(
      [&] { return captures_started(state_) > starts && our_files_on_datastore1().size() == 1; }, 40s))
      << short_log(cap->log());
  ASSERT_TRUE(wait_port_frames(1, std::max(now_ns(), fault + 2 * kSec + kEdge)));
  const auto files_during = our_files_on_datastore1();
  ASSERT_TRUE(cap->running()) << short_log(cap->log());
  const int rc = cap->stop(SIGINT);
  const std::string log = without(cap->log(), lab->state_dir());
  EXPECT_EQ(0, rc) << short_log(log);
  const auto files_after = our_files_on_datastore1();

  auto res = load_outcome(o);
  auto truth = truth_frames_on("testvm1", res.start, res.end);
  auto cov = coverage(res, truth);
  common_checks(res, {}, "testvm1", fault, cov, std::nullopt, testvm1_.cluster, testvm1_.ref);
  const size_t after = res.frames_of([&](const CapFrame& f) { return f.port_pin() && f.ts > fault + 2 * kSec; });
  EXPECT_GT(after, 0u) << "nothing captured after the SSH drop";
  // The capture on the host went on writing while its connection was down, and the new
  // one started before it was stopped: what crossed the port meanwhile is in the file.
  const GapWin* gap = nullptr;
  for (const auto& g : res.gaps)
    if (g.from >= fault - kEdge && !gap) gap = &g;
  const Window w = gap ? window(res, truth, gap->from, gap->to) : Window{};
  EXPECT_EQ(0u, w.missing()) << "frames lost while the connection was down\n" << gaps_text(res);
  EXPECT_TRUE(files_after.empty()) << "capture files left on datastore1:\n" << joined(files_after);
  EXPECT_EQ(std::string::npos, log.find("left on the host")) << short_log(log);
  EXPECT_FALSE(std::filesystem::exists(o + ".onhost")) << "fetched copies not cleaned up";
  std::printf("[onhost-ssh-drop] frames before the drop %zu, after it %zu; while the session had "
              "no connection (the reported gap) %zu frames crossed the port, %zu of them in the "
              "file; files on datastore1 once it captured again: %s; after the session %zu; %s\n%s",
              res.frames_of([&](const CapFrame& f) { return f.port_pin() && f.ts < fault; }), after,
              w.crossed, w.captured, joined(files_during, ",").c_str(), files_after.size(),
              cov.text().c_str(), gaps_text(res).c_str());
}

// On-host output, the session killed with -9: its pktcap-uw goes on writing on the
// datastore. `capture status` names the file; `capture cleanup --into DIR` stops the
// capture, brings the file home verified, removes it from the datastore and restores the
// override; the file holds the VM's frames up to the cleanup, after the kill too.
TEST_F(Fault, OnHostSessionKilledCleanupFetchesItsFile) {
  const std::string o = out("onhost-kill");
  std::string why;
  auto cap = start_on_host("onhost-kill", o, why);
  ASSERT_TRUE(cap) << why;
  ASSERT_TRUE(wait_port_frames(3, now_ns()));
  const int64_t killed_at = now_ns();
  cap->stop(SIGKILL);
  // The capture goes on writing on the host: frames cross the port after the kill.
  ASSERT_TRUE(wait_port_frames(2, killed_at + kSec + kEdge));
  const auto files = our_files_on_datastore1();
  ASSERT_FALSE(files.empty()) << "no capture file on datastore1 after kill -9";
  const auto running = pktcaps_on_hosts(*lab);
  EXPECT_FALSE(running.empty()) << "a file capture outlives its session's connection";
  const std::string cli = capture_binary() + " --state-dir '" + state_ + "' ";
  auto status = sh(cli + "status").out;
  for (const auto& f : files)
    EXPECT_NE(std::string::npos, status.find("its capture file to fetch: /vmfs/volumes/datastore1/vm-capture/" + f))
        << status;

  const std::string into = dir_ + "/fetched";
  auto r = sh(cli + "cleanup --into '" + into + "' 2>&1");
  EXPECT_EQ(0, r.status) << r.out;
  const auto files_after = our_files_on_datastore1();
  EXPECT_TRUE(files_after.empty()) << joined(files_after);
  EXPECT_TRUE(pktcaps_on_hosts(*lab).empty()) << joined(pktcaps_on_hosts(*lab));
  EXPECT_EQ(std::nullopt, override_of(testvm1_)) << r.out;
  size_t frames = 0, after_kill = 0;
  for (const auto& f : files) {
    const std::string local = into + "/" + f;
    ASSERT_TRUE(std::filesystem::exists(local)) << local << " missing; cleanup said:\n" << r.out;
    EXPECT_NE(std::string::npos, r.out.find(" to " + local + " (")) << r.out;
    for (const auto& fr : read_frames(local)) {
      ++frames;
      after_kill += fr.ts > killed_at + kSec;
    }
  }
  EXPECT_GT(frames, 0u) << r.out;
  EXPECT_GT(after_kill, 0u) << "nothing in the file from after the kill";
  auto again = sh(cli + "cleanup --into '" + into + "' 2>&1");
  EXPECT_EQ(0, again.status);
  EXPECT_NE(std::string::npos, again.out.find("nothing to clean up")) << again.out;
  std::printf("[onhost-kill] after kill -9: %zu pktcap-uw running, files on datastore1: %s; cleanup "
              "fetched %zu frames (%zu from after the kill); files left on datastore1: %zu; cleanup "
              "said:\n%s",
              running.size(), joined(files, ",").c_str(), frames, after_kill, files_after.size(),
              without(r.out, lab->state_dir()).c_str());
}

// 7. The captured VM is deleted: the session (its only target) ends with a clear
//    message, its frames are kept, nothing is left running, and the deleted VM's
//    override needs no restore.
TEST_F(Fault, CapturedVmDeleted) {
  auto vm = vc_->find_vm("web01");
  ASSERT_TRUE(vm.ok()) << vm.error().message;
  ASSERT_EQ(std::nullopt, override_of(*vm));
  const std::string o = out("web01cap");
  auto cap = start("web01cap", "web01");
  ASSERT_TRUE(wait_capturing(*cap, o, &*vm));
  ASSERT_TRUE(wait_more_frames(*cap, o));
  auto snap = snapshot(o);
  const int64_t fault = now_ns();
  std::string how = "lab POST /vm/web01/destroy";
  try {
    lab->post("/vm/web01/destroy");
  } catch (const std::exception& e) {
    // The lab's destroy endpoint is not there yet: delete it as a vSphere client would
    // (vCenter destroys only powered-off VMs).
    how = "API PowerOff + Destroy_Task (lab endpoint: " + std::string(e.what()) + ")";
    ASSERT_TRUE(vm_operation(*vc_, vm->ref, Op::PowerOff).ok());
    auto d = vm_operation(*vc_, vm->ref, Op::Destroy);
    ASSERT_TRUE(d.ok()) << d.error().message;
  }
  ASSERT_TRUE(lab_state("web01").is_null()) << "web01 still in the lab";
  auto rc = cap->wait_exit(10s);
  const bool ended_itself = rc.has_value();
  if (!rc) rc = cap->stop(SIGINT);
  const std::string log = without(cap->log(), lab->state_dir());
  EXPECT_TRUE(ended_itself) << "the session's only VM was deleted, yet it ran on for 10 s:\n" << short_log(log);
  const bool says = log.find("deleted") != std::string::npos || log.find("removed") != std::string::npos ||
                    log.find("no longer") != std::string::npos;
  EXPECT_TRUE(says) << "no message saying web01 is gone:\n" << short_log(log);
  EXPECT_EQ(std::string::npos, log.find("could not restore")) << short_log(log);
  auto status = sh(capture_binary() + " --state-dir '" + state_ + "' status").out;
  EXPECT_EQ(std::string::npos, status.find("left-over")) << status;

  auto res = load_outcome(o);
  auto truth = truth_frames_on("web01", res.start, res.end);
  auto cov = coverage(res, truth);
  common_checks(res, snap, "web01", fault, cov, std::nullopt, vm->cluster, vm->ref);
  const std::string tail = short_log(log, 6);
  std::printf("[vm-deleted] deleted by %s; session %s (exit %d); %zu frames kept (%zu before the "
              "delete); %s\n%s  log ends:\n%s",
              how.c_str(), ended_itself ? "ended by itself" : "did NOT end (SIGINT)", *rc,
              res.frames.size(), res.frames_of([&](const CapFrame& f) { return f.ts < fault; }),
              cov.text().c_str(), gaps_text(res).c_str(), tail.c_str());
}

// 8. Two sessions capture the same VM. The product has no per-VM lock (run_session
//    starts a second session on a VM another one captures), so what must hold is: both
//    capture everything, neither's stop kills the other's pktcap-uw, and the DRS override
//    stays 'manual' until the last session ends, then is what it was before the first.
TEST_F(Fault, SameVmTwoSessions) {
  const std::string oa = out("first"), ob = out("second");
  auto a = start("first", "testvm1");
  ASSERT_TRUE(wait_capturing(*a, oa, &testvm1_));
  auto b = start("second", "testvm1");
  if (auto rc = b->wait_exit(5s)) {
    // The other acceptable design: the second refuses with a clear message.
    EXPECT_NE(0, *rc);
    EXPECT_NE(std::string::npos, b->log().find("testvm1")) << short_log(b->log());
    std::printf("[two-sessions] the second session refused (exit %d):\n%s", *rc, short_log(b->log()).c_str());
    EXPECT_EQ(0, a->stop(SIGINT));
    EXPECT_EQ(std::nullopt, override_of(testvm1_));
    EXPECT_TRUE(pktcaps_on_hosts(*lab).empty());
    return;
  }
  ASSERT_TRUE(wait_capturing(*b, ob, &testvm1_));
  EXPECT_EQ(2u, pktcaps_on_hosts(*lab).size()) << joined(pktcaps_on_hosts(*lab));
  ASSERT_TRUE(wait_more_frames(*b, ob));
  const int64_t first_stop = now_ns();
  EXPECT_EQ(0, a->stop(SIGINT)) << short_log(a->log());
  const auto after_first = pktcaps_on_hosts(*lab);
  const auto override_after_first = override_of(testvm1_);
  EXPECT_EQ(1u, after_first.size()) << "the first session's stop touched the second's capture:\n"
                                    << joined(after_first);
  EXPECT_EQ(std::optional<std::string>("manual"), override_after_first)
      << "the first session to end put the override back while the second still captures";
  // DRS would now move testvm1 away from under the second session.
  auto moves = json::parse(lab->post("/drs"));
  bool moved = false;
  for (const auto& m : moves) moved |= m.value("vm", "") == "testvm1";
  ASSERT_TRUE(wait_frames_since(*b, ob, first_stop + kEdge));
  EXPECT_TRUE(b->running());
  EXPECT_EQ(0, b->stop(SIGINT)) << short_log(b->log());

  auto ra = load_outcome(oa), rb = load_outcome(ob);
  auto ca = coverage(ra, truth_frames_on("testvm1", ra.start, ra.end));
  auto cb = coverage(rb, truth_frames_on("testvm1", rb.start, rb.end));
  EXPECT_TRUE(ca.lost.empty()) << "first: " << ca.text() << "\n" << lost_list(ca);
  EXPECT_TRUE(cb.lost.empty()) << "second: " << cb.text() << "\n" << lost_list(cb);
  const size_t b_after = rb.frames_of([&](const CapFrame& f) { return f.port_pin() && f.ts > first_stop + kEdge; });
  EXPECT_GT(b_after, 0u) << "the second session captured nothing after the first ended";
  EXPECT_TRUE(pktcaps_on_hosts(*lab).empty()) << joined(pktcaps_on_hosts(*lab));
  EXPECT_EQ(std::nullopt, override_of(testvm1_)) << "override not back to none after both ended";
  std::printf("[two-sessions] both ran; first: %zu frames (%s); second: %zu frames, %zu after the "
              "first ended (%s); after the first ended: %zu pktcap-uw on hosts, override %s, a DRS "
              "pass %s testvm1\n",
              ra.frames.size(), ca.text().c_str(), rb.frames.size(), b_after, cb.text().c_str(),
              after_first.size(), override_after_first.value_or("none").c_str(),
              moved ? "MOVED" : "did not move");
}

// 9. A host's clock is 3 s behind: testvm1 moves from esx01 to esx02 (skewed) mid-session.
//    The file stays in time order and every frame is in it.
TEST_F(Fault, ClockSkewAcrossMigration) {
  try {
    lab->post("/settings?host=esx02&clock_skew=-3s");
  } catch (const std::exception& e) {
    FAIL() << "the lab cannot skew esx02's clock yet: " << e.what();
  }
  struct Unskew {
    ~Unskew() {
      try {
        lab->post("/settings?host=esx02&clock_skew=0s");
      } catch (...) {
      }
    }
  } unskew;
  const std::string o = out("skew");
  auto cap = start("skew", "testvm1");
  ASSERT_TRUE(wait_capturing(*cap, o, &testvm1_));
  ASSERT_TRUE(wait_more_frames(*cap, o));
  auto snap = snapshot(o);
  const int64_t fault = now_ns();
  lab->post("/vm/testvm1/migrate?to=esx02");
  // Captured on esx02: its frames in the file (on this machine's time line, corrected).
  ASSERT_TRUE(wait_frames_since(*cap, o, 0, "esx02"));
  EXPECT_EQ(0, cap->stop(SIGINT)) << short_log(cap->log());

  auto res = load_outcome(o);
  auto truth = truth_frames_on("testvm1", res.start, res.end);
  // The product moves a skewed host's frames onto its own time line and says by how
  // much in the manifest (clock_corrections_ns): each esx02 frame must be
  // in the file at its true time - 3 s + that correction.
  int64_t correction = 0;
  if (res.has_manifest() && res.manifest.contains("clock_corrections_ns"))
    correction = res.manifest["clock_corrections_ns"].value("esx02", int64_t{0});
  EXPECT_NE(0, correction) << "no manifest note on esx02's clock";
  const std::map<std::string, int64_t> skew{{"esx02", -3 * kSec + correction}};
  auto cov = coverage(res, truth, skew);
  common_checks(res, snap, "testvm1", fault, cov, std::nullopt, testvm1_.cluster, testvm1_.ref);
  size_t inversions = 0;
  int64_t worst = 0;
  for (size_t i = 1; i < res.frames.size(); ++i) {
    if (res.frames[i].ts < res.frames[i - 1].ts) {
      ++inversions;
      worst = std::max(worst, res.frames[i - 1].ts - res.frames[i].ts);
    }
  }
  EXPECT_EQ(0u, inversions) << "frames out of time order (worst step back " << secs(worst) << " s)";
  const size_t on1 = res.frames_of([](const CapFrame& f) { return f.host == "esx01"; });
  const size_t on2 = res.frames_of([](const CapFrame& f) { return f.host == "esx02"; });
  EXPECT_GT(on2, 0u);
  // Where the esx02 frames landed: their written timestamps against the migration.
  int64_t first2 = 0, last1 = 0;
  for (const auto& f : res.frames) {
    if (f.host == "esx02" && (first2 == 0 || f.ts < first2)) first2 = f.ts;
    if (f.host == "esx01") last1 = std::max(last1, f.ts);
  }
  auto skew_notes = res.events("skew");
  auto clock_notes = res.events("clock");
  skew_notes.insert(skew_notes.end(), clock_notes.begin(), clock_notes.end());
  std::printf("[clock-skew] esx02 3 s behind; frames on esx01 %zu, on esx02 %zu; first esx02 frame "
              "written %.3f s %s the last esx01 one; %zu steps back in time order (worst %.3f s); "
              "late frames %lld; manifest notes on skew: %s; %s\n",
              on1, on2, secs(std::llabs(last1 - first2)), first2 < last1 ? "BEFORE" : "after",
              inversions, secs(worst),
              static_cast<long long>(res.has_manifest() ? res.manifest["counts"].value("late_frames", 0) : -1),
              skew_notes.empty() ? "none" : joined(skew_notes, "; ").c_str(), cov.text().c_str());
}

}  // namespace
}  // namespace vmc::itest
