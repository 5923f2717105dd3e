// What every command of a session is given: the vCenter to connect to and how, SSH
// settings, the state directory, logging; and the exit codes the commands return.
#pragma once

#include <string>

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

/// The state directory: --state-dir, else orchestrator::default_state_dir().
std::string state_dir(const GlobalOptions& g);

}  // namespace vmc::session
