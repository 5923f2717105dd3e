#include "orchestrator/sessions.h"

#include <signal.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>

namespace vmc::orchestrator {

namespace fs = std::filesystem;
using Kind = JournalRecord::Kind;

const char* to_string(SessionListing::State s) {
  switch (s) {
    case SessionListing::State::Running: return "running";
    case SessionListing::State::LeftOver: return "left-over";
    case SessionListing::State::Finished: return "finished";
  }
  return "unknown";
}

bool pid_alive(int64_t pid) {
  if (pid <= 0) return false;
  return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}

std::vector<SessionListing> sessions_holding(const std::string& state_dir, const PidAlive& alive,
                                             const model::MoRef& vm, int64_t own_pid) {
  std::vector<SessionListing> out;
  for (auto& s : list_sessions(state_dir, alive)) {
    if (s.state != SessionListing::State::Running || s.pid == own_pid) continue;
    auto records = read_journal(s.path);
    if (!records) continue;
    bool holds = false;
    for (const auto& r : records.value()) {
      // Pin keys are "host|target|dir|vm|mac".
      if (r.kind == Kind::ProcessStarted) {
        auto parts = r.pin_key;
        size_t field = 0, from = 0;
        for (size_t i = 0; i <= parts.size() && !holds; ++i) {
          if (i < parts.size() && parts[i] != '|') continue;
          if (field == 3 && parts.compare(from, i - from, vm.value) == 0 && i - from == vm.value.size())
            holds = true;
          ++field;
          from = i + 1;
        }
      }
      if (r.kind == Kind::OverrideSet && r.vm == vm) holds = true;
    }
    if (holds) out.push_back(std::move(s));
  }
  return out;
}

std::vector<SessionListing> list_sessions(const std::string& state_dir, const PidAlive& alive) {
  std::vector<SessionListing> out;
  std::error_code ec;
  if (!fs::is_directory(state_dir, ec)) return out;
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(state_dir, ec))
    if (entry.path().extension() == ".jsonl") files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    SessionListing s;
    s.path = f.string();
    s.id = f.stem().string();
    auto records = read_journal(s.path);
    if (!records) {
      s.state = SessionListing::State::LeftOver;
      s.problem = records.error().message;
      out.push_back(std::move(s));
      continue;
    }
    for (const auto& r : records.value()) {
      if (r.kind == Kind::SessionStart) {
        s.pid = r.pid;
        s.name = r.name;
        s.started = r.at;
        if (!r.session_id.empty()) s.id = r.session_id;
      }
      if (r.kind == Kind::SessionEnd) s.ended = true;
      if (r.kind == Kind::CleanupDone) s.cleaned = true;
    }
    if (!s.ended && alive(s.pid)) {
      s.state = SessionListing::State::Running;
    } else {
      s.leftovers = plan_cleanup(records.value());
      s.state = s.leftovers.empty() ? SessionListing::State::Finished
                                    : SessionListing::State::LeftOver;
    }
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<SessionCleanup> cleanup_sessions(const std::string& state_dir, const PidAlive& alive,
                                             HostConnector& hosts, VCenterApi& vcenter,
                                             Clock& clock, const CleanupOptions& options) {
  std::vector<SessionCleanup> out;
  for (const auto& s : list_sessions(state_dir, alive)) {
    if (s.state != SessionListing::State::LeftOver) continue;
    SessionCleanup c{s.id, {}};
    if (!s.problem.empty()) {
      c.report.errors.push_back(Error("journal.unreadable",
                                      s.problem + "; inspect or remove " + s.path + " by hand"));
      out.push_back(std::move(c));
      continue;
    }
    auto journal = FileJournal::open(s.path);
    if (!journal) {
      c.report.errors.push_back(journal.error());
    } else {
      c.report = run_cleanup(s.leftovers, hosts, vcenter, *journal.value(), clock, options);
    }
    out.push_back(std::move(c));
  }
  return out;
}

std::string format_sessions(const std::vector<SessionListing>& sessions) {
  if (sessions.empty()) return "no sessions\n";
  std::string out;
  for (const auto& s : sessions) {
    out += s.id + "  " + to_string(s.state) + "  pid " + std::to_string(s.pid) + "  " +
           format_time(s.started) + "  " + s.name + "\n";
    if (!s.problem.empty()) out += "    journal unreadable: " + s.problem + "\n";
    for (const auto& p : s.leftovers.kill) {
      out += "    pktcap-uw pid " + std::to_string(p.remote_pid) + " on " +
             (p.host_name.empty() ? p.host.value : p.host_name) + " (" + p.pin_name + ")\n";
      if (!p.remote_file.empty()) out += "      its capture file to fetch: " + p.remote_file + "\n";
    }
    for (const auto& o : s.leftovers.restore)
      out += "    DRS override of " + o.vm.value + " in " + o.cluster.value + " to restore to " +
             (o.previous ? "'" + o.previous->behavior + "'" : "none") + "\n";
  }
  return out;
}

}  // namespace vmc::orchestrator
