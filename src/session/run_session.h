// One capture session from a validated SessionSpec, in the order it happens: connect to
// vCenter, find the targets, undo what crashed sessions left, open the journal and the
// output, run the orchestrator until a stop condition or Ctrl-C, then print what was
// captured. Also `capture status` and `capture cleanup`.
#pragma once

#include <string>

#include "model/session_spec.h"
#include "session/host_connector.h"
#include "vsphere/connect_options.h"

namespace vmc::session {

struct GlobalOptions {
  vsphere::ConnectOptions vcenter;  // flags; the environment fills the rest
  std::string credential_file;      // a file holding the vCenter password (mode 0600)
  SshSettings ssh;                  // flags over VMC_SSH_* environment
  std::string state_dir;            // journals; empty = default_state_dir()
  bool json_logs = false;
  int verbosity = 0;                // -v: debug
  bool quiet = false;
};

/// Exit codes.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;       // the session failed (after undoing its changes)
inline constexpr int kExitUsage = 2;        // bad flags or plan
inline constexpr int kExitConnect = 3;      // vCenter or a host unreachable / refused

/// Runs the session; returns the exit code.
int run_session(const model::SessionSpec& spec, const GlobalOptions& g);

/// `capture vm NAME --dry-run`: prints what would be done (VM, NICs, host, cluster, DRS
/// override, ports) without changing anything.
int dry_run(const model::SessionSpec& spec, const GlobalOptions& g);

/// `capture cleanup`: undoes what crashed or killed sessions left; the capture files
/// of on-host sessions come home into `fetch_dir` (made if missing).
int run_cleanup(const GlobalOptions& g, const std::string& fetch_dir);

}  // namespace vmc::session
