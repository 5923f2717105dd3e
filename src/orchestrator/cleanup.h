// Undoing what a crashed or killed session left behind, from its journal: the remote
// captures still recorded running and the DRS overrides not yet restored. The plan is
// a pure function of the records; running it appends the undo steps to the same journal,
// so planning again afterwards gives nothing to do.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "orchestrator/journal.h"
#include "orchestrator/seams.h"

namespace vmc::orchestrator {

struct LeftoverProcess {
  model::MoRef host;
  std::string host_name;
  std::string host_address;
  int64_t remote_pid = 0;
  std::string pin_key;
  std::string pin_name;
  std::string remote_file;  // on-host output: the capture's file, to fetch once stopped
};

struct LeftoverOverride {
  model::MoRef cluster;
  model::MoRef vm;
  std::optional<model::DrsVmOverride> previous;
  model::DrsVmOverride applied;
};

struct CleanupPlan {
  std::vector<LeftoverProcess> kill;
  std::vector<LeftoverOverride> restore;
  bool empty() const { return kill.empty() && restore.empty(); }
};

CleanupPlan plan_cleanup(const std::vector<JournalRecord>& records);

struct CleanupOptions {
  /// Where the capture files of on-host sessions come home ("<dir>/<file name>").
  /// nullopt: they are not fetched now; their captures are stopped, and the files stay
  /// on the host, left over for a `capture cleanup` (a new session's start-up cleanup
  /// must not wait for a long copy).
  std::optional<std::string> fetch_dir;
};

struct CleanupReport {
  int killed = 0;
  int restored = 0;
  int fetched = 0;
  int left_on_hosts = 0;  // files not fetched because fetch_dir was not given
  std::vector<std::string> notes;   // what was done, in words
  std::vector<Error> errors;        // what could not be done (cleanup can be run again)
  bool ok() const { return errors.empty(); }
};

/// Executes the plan through the same interfaces a session uses; records each undone
/// step in `journal` and, when everything is undone, a CleanupDone record. A capture
/// with a file on the host is recorded stopped only once the file is home (or the host
/// has it no more), so that a failed fetch is tried again by the next cleanup.
CleanupReport run_cleanup(const CleanupPlan& plan, HostConnector& hosts, VCenterApi& vcenter,
                          Journal& journal, Clock& clock, const CleanupOptions& options = {});

}  // namespace vmc::orchestrator
