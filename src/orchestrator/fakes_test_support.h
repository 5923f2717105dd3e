// Recording fakes of the orchestrator's interfaces, for unit tests only (header-only, not
// part of the library). Every side effect is appended to one shared log, so a test can
// assert the exact sequence across vCenter, hosts and journal, ninja style.
#pragma once

#include <algorithm>
#include <deque>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "orchestrator/journal.h"
#include "orchestrator/seams.h"

namespace vmc::orchestrator::fakes {

using Log = std::vector<std::string>;

class FakeClock : public Clock {
 public:
  model::TimePoint t = model::TimePoint{} + std::chrono::hours(24 * 365 * 56);  // ~2026
  model::TimePoint now() override { return t; }
  void sleep_for(std::chrono::milliseconds d) override { t += d; }
};

/// The world both vCenter and the hosts see.
struct FakeWorld {
  std::vector<model::VmInfo> vms;
  std::vector<model::HostInfo> hosts;
  std::map<std::pair<std::string, std::string>, int64_t> ssh_ports;  // (host id, mac) -> port
  std::map<std::string, std::vector<model::PortInfo>> api_ports;       // host id -> ports
  std::map<std::pair<std::string, std::string>, model::DrsVmOverride> overrides;  // (cluster, vm)

  model::VmInfo& vm(const std::string& id) {
    for (auto& v : vms)
      if (v.ref.value == id) return v;
    throw std::runtime_error("no vm " + id);
  }
};

/// vCenter over a FakeWorld with a script of timed changes. next_event() advances the
/// fake clock to the next step (applying it) or by the whole wait.
class FakeVCenter : public VCenterApi {
 public:
  struct Step {
    std::chrono::milliseconds at;  // since the clock's start
    std::function<void(FakeWorld&)> change;
    std::optional<model::VmEvent> event;  // nullopt: a change nobody announces
  };

  FakeVCenter(FakeWorld& world, FakeClock& clock, Log& log)
      : world_(world), clock_(clock), log_(log), t0_(clock.t) {}

  void at(std::chrono::milliseconds when, std::function<void(FakeWorld&)> change,
          std::optional<model::VmEvent> event = std::nullopt) {
    steps_.push_back(Step{when, std::move(change), std::move(event)});
    std::stable_sort(steps_.begin(), steps_.end(),
                     [](const Step& a, const Step& b) { return a.at < b.at; });
  }

  int fail_observe = 0;    // next N watched_vms() calls fail
  int fail_set_override = 0;

  Result<std::vector<model::VmInfo>> watched_vms() override {
    if (fail_observe > 0) {
      --fail_observe;
      return Error("vcenter.down", "vCenter did not answer");
    }
    return world_.vms;
  }
  Result<std::vector<model::HostInfo>> hosts() override { return world_.hosts; }
  Result<std::vector<model::PortInfo>> host_ports(const model::MoRef& host) override {
    return world_.api_ports[host.value];
  }
  Result<std::optional<model::VmEvent>> next_event(std::chrono::milliseconds max_wait) override {
    const auto deadline = clock_.t + max_wait;
    while (!steps_.empty() && t0_ + steps_.front().at <= deadline) {
      Step s = std::move(steps_.front());
      steps_.pop_front();
      clock_.t = std::max(clock_.t, t0_ + s.at);
      if (s.change) s.change(world_);
      if (s.event) {
        model::VmEvent e = *s.event;
        e.at = t0_ + s.at;
        return std::optional<model::VmEvent>(e);
      }
    }
    clock_.t = std::max(clock_.t, deadline);
    return std::optional<model::VmEvent>();
  }
  Result<std::optional<model::DrsVmOverride>> get_override(const model::MoRef& cluster,
                                                           const model::MoRef& vm) override {
    auto it = world_.overrides.find({cluster.value, vm.value});
    if (it == world_.overrides.end()) return std::optional<model::DrsVmOverride>();
    return std::optional<model::DrsVmOverride>(it->second);
  }
  Status set_override(const model::MoRef& cluster, const model::DrsVmOverride& o) override {
    log_.push_back("drs set " + cluster.value + " " + o.vm.value + " " + o.behavior);
    if (fail_set_override > 0) {
      --fail_set_override;
      return Error("drs.privilege", "permission to edit the cluster denied");
    }
    world_.overrides[{cluster.value, o.vm.value}] = o;
    return {};
  }
  Status remove_override(const model::MoRef& cluster, const model::MoRef& vm) override {
    log_.push_back("drs remove " + cluster.value + " " + vm.value);
    world_.overrides.erase({cluster.value, vm.value});
    return {};
  }

  bool script_done() const { return steps_.empty(); }

 private:
  FakeWorld& world_;
  FakeClock& clock_;
  Log& log_;
  model::TimePoint t0_;
  std::deque<Step> steps_;
};

class FakeHost : public HostControl {
 public:
  FakeHost(std::string name, FakeWorld& world, Log& log, int64_t& next_pid)
      : name_(std::move(name)), world_(world), log_(log), next_pid_(next_pid) {}

  std::string host_id;
  int fail_start = 0;
  std::string fail_code = "ssh.down";  // of the failed starts
  ErrorKind fail_kind = ErrorKind::Failed;
  std::string fail_text = "connection refused";
  int fail_resolve = 0;
  bool throw_on_start = false;  // an adapter bug: the runtime must still undo everything
  std::map<int64_t, CaptureStatus> health;  // pid -> status (default running)
  std::vector<CaptureRequest> requests;
  std::string file_dir;  // set: captures write files there (on-host output)

  Result<std::optional<int64_t>> resolve_port(const std::string& mac) override {
    if (fail_resolve > 0) {
      --fail_resolve;
      return Error("ssh.down", "connection refused");
    }
    auto it = world_.ssh_ports.find({host_id, mac});
    if (it == world_.ssh_ports.end()) return std::optional<int64_t>();
    return std::optional<int64_t>(it->second);
  }
  Result<CaptureHandle> start_capture(const CaptureRequest& r, FrameSink&) override {
    if (throw_on_start) throw std::runtime_error("adapter bug");
    if (fail_start > 0) {
      --fail_start;
      log_.push_back(name_ + " start " + r.pin.name() + " FAILED");
      return Error(fail_code, fail_text, fail_kind);
    }
    int64_t pid = next_pid_++;
    requests.push_back(r);
    log_.push_back(name_ + " start " + r.pin.name() + " pid " + std::to_string(pid));
    return CaptureHandle{pid, "", file_dir.empty() ? "" : file_dir + "/vmc-" + std::to_string(pid) + ".pcap"};
  }
  Status stop_capture(const CaptureHandle& h) override {
    log_.push_back(name_ + " stop pid " + std::to_string(h.pid));
    return {};
  }
  CaptureStatus status(const CaptureHandle& h) override {
    auto it = health.find(h.pid);
    return it == health.end() ? CaptureStatus{} : it->second;
  }
  std::set<int64_t> kill_fails;  // PIDs whose kill_leftover fails
  Status kill_leftover(int64_t pid) override {
    log_.push_back(name_ + " kill pid " + std::to_string(pid));
    if (kill_fails.count(pid)) return Error("pktcap.kill", "kill " + std::to_string(pid) + " failed");
    return {};
  }
  std::map<std::string, Error> fetch_errors;  // remote path -> the error its fetch gives
  std::string not_removed;                    // what a fetch says when rm failed
  Result<FetchedFile> fetch_leftover_file(const std::string& remote, const std::string& local) override {
    log_.push_back(name_ + " fetch " + remote + " -> " + local);
    if (auto it = fetch_errors.find(remote); it != fetch_errors.end()) return it->second;
    return FetchedFile{remote.size() * 100, "sha", not_removed};
  }

 private:
  std::string name_;
  FakeWorld& world_;
  Log& log_;
  int64_t& next_pid_;
};

class FakeHosts : public HostConnector {
 public:
  FakeHosts(FakeWorld& world, Log& log) : world_(world), log_(log) {}
  std::map<std::string, int> fail_connect;  // host name -> failures to give
  std::string connect_fail_code = "ssh.connect";  // of those failures
  ErrorKind connect_fail_kind = ErrorKind::Failed;

  FakeHost& host(const std::string& name, const std::string& id) {
    auto it = hosts_.find(name);
    if (it == hosts_.end()) {
      it = hosts_.emplace(name, std::make_unique<FakeHost>(name, world_, log_, next_pid_)).first;
      it->second->host_id = id;
    }
    return *it->second;
  }
  Result<HostControl*> connect(const model::HostInfo& h) override {
    auto& fails = fail_connect[h.name];
    if (fails > 0) {
      --fails;
      return Error(connect_fail_code, "cannot reach " + h.name, connect_fail_kind);
    }
    return static_cast<HostControl*>(&host(h.name, h.ref.value));
  }
  void prepare(const model::HostInfo& h) override { prepared.insert(h.name); }
  std::set<std::string> prepared;  // hosts asked to connect ahead

 private:
  FakeWorld& world_;
  Log& log_;
  int64_t next_pid_ = 1001;
  std::map<std::string, std::unique_ptr<FakeHost>> hosts_;
};

class FakeSink : public Sink {
 public:
  Log lines;  // opened/closed/comment/finalize, in order
  SinkTotals set_totals;
  std::optional<SessionSummary> finalized;
  int finalize_calls = 0;

  void frame(const Pin&, const CapturedFrame&) override {}
  void pin_opened(const Pin& p, model::TimePoint, const std::string& reason) override {
    lines.push_back("open " + p.name() + ": " + reason);
  }
  void pin_closed(const Pin& p, model::TimePoint, const std::string& reason) override {
    lines.push_back("close " + p.name() + ": " + reason);
  }
  void comment(model::TimePoint, const std::string& text) override {
    lines.push_back("comment " + text);
  }
  SinkTotals totals() override { return set_totals; }
  std::optional<std::string> fail_output;  // what output_failure() reports
  std::optional<std::string> output_failure() override { return fail_output; }
  Status finalize(const SessionSummary& s) override {
    ++finalize_calls;
    finalized = s;
    lines.push_back("finalize");
    return {};
  }
  bool has_line(const std::string& prefix) const {
    return std::any_of(lines.begin(), lines.end(),
                       [&](const std::string& l) { return l.rfind(prefix, 0) == 0; });
  }
};

class FakeJournal : public Journal {
 public:
  std::vector<JournalRecord> records;
  Log* log = nullptr;  // when set, records appear in the shared log too
  int fail = 0;
  Status append(const JournalRecord& r) override {
    if (fail > 0) {
      --fail;
      return Error("journal.write", "disk full");
    }
    records.push_back(r);
    if (log != nullptr) {
      std::string s = std::string("journal ") + to_string(r.kind);
      if (r.remote_pid) s += " " + std::to_string(r.remote_pid);
      if (!r.cluster.empty()) s += " " + r.cluster.value + " " + r.vm.value;
      log->push_back(s);
    }
    return {};
  }
};

}  // namespace vmc::orchestrator::fakes
