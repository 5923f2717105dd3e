// The sessions the state directory knows: running (their vm-capture process is alive),
// left over (dead, with captures or overrides still to undo) or finished.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "orchestrator/cleanup.h"
#include "orchestrator/journal.h"

namespace vmc::orchestrator {

struct SessionListing {
  enum class State { Running, LeftOver, Finished };
  State state = State::Finished;
  std::string id;
  std::string path;
  std::string name;
  int64_t pid = 0;
  model::TimePoint started{};
  bool ended = false;    // a SessionEnd record exists
  bool cleaned = false;  // a CleanupDone record exists
  CleanupPlan leftovers;  // what a cleanup would undo (empty when Running or Finished)
  std::string problem;    // set when the journal could not be read
};

const char* to_string(SessionListing::State s);

/// Whether a process with this PID runs on this machine.
using PidAlive = std::function<bool(int64_t pid)>;
bool pid_alive(int64_t pid);  // kill(pid, 0)

/// All journals in `state_dir`, oldest first. A missing directory is no sessions. An
/// unreadable journal is listed as LeftOver with `problem` set.
std::vector<SessionListing> list_sessions(const std::string& state_dir, const PidAlive& alive);

/// Running sessions (other than this process's) that capture `vm`: their journal has a
/// capture of one of its NICs or a DRS override of it. Two sessions on one VM would each
/// restore its DRS override when they end, taking it from under the other.
std::vector<SessionListing> sessions_holding(const std::string& state_dir, const PidAlive& alive,
                                             const model::MoRef& vm, int64_t own_pid);

struct SessionCleanup {
  std::string id;
  CleanupReport report;
};

/// Undoes what every left-over session left (`capture cleanup`, and the start of each
/// new session); running sessions are not touched. Safe to repeat.
std::vector<SessionCleanup> cleanup_sessions(const std::string& state_dir, const PidAlive& alive,
                                             HostConnector& hosts, VCenterApi& vcenter,
                                             Clock& clock, const CleanupOptions& options = {});

/// Text for `capture status`.
std::string format_sessions(const std::vector<SessionListing>& sessions);

}  // namespace vmc::orchestrator
