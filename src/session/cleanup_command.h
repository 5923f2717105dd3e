// Undoing what crashed or killed sessions left: `capture cleanup` (on-host capture
// files come home into a directory), and the same quietly at the start of every session.
#pragma once

#include <string>
#include <vector>

#include "orchestrator/sessions.h"
#include "session/global_options.h"
#include "vsphere/vcenter.h"

namespace vmc::session {

/// `capture cleanup`: undoes every left-over session, the capture files of on-host
/// sessions brought home into `fetch_dir` (made if missing). Returns the exit code.
int run_cleanup(const GlobalOptions& g, const std::string& fetch_dir);

/// The same before a new session starts, over its vCenter connection; what could not
/// be undone is a warning (a later `capture cleanup` tries again).
void undo_leftovers(const GlobalOptions& g, vsphere::VCenter& vc);

/// What `capture cleanup` prints for what it did; `all_done` is false when a step
/// could not be done.
std::string format_cleanup(const std::vector<orchestrator::SessionCleanup>& done, bool& all_done);

}  // namespace vmc::session
