// `capture status`: the sessions the state directory knows, and everything that makes
// that list untrustworthy said plainly: a directory that cannot be read or that others
// can write, a journal that cannot be parsed or has no session start.
#pragma once

#include <sys/types.h>

#include <ostream>
#include <string>

#include "orchestrator/sessions.h"

namespace vmc::cli {

struct StatusOptions {
  std::string state_dir;
  orchestrator::PidAlive alive = orchestrator::pid_alive;
  uid_t me = 0;  // whose journals these should be (geteuid())
};

/// Lists the sessions on `out` (orchestrator::format_sessions); each problem goes to
/// `err`, naming the path and what to do. Returns 0, or 1 when the list cannot be
/// trusted (the directory cannot be read, is not the user's or others can write it; a
/// journal is damaged, has no session start, is not the user's or others can write it).
/// Files others can only read are a warning.
int show_status(const StatusOptions& o, std::ostream& out, std::ostream& err);

}  // namespace vmc::cli
