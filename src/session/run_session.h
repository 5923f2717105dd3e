// One capture session from a validated SessionSpec, in the order it happens: connect to
// vCenter, find the targets, undo what crashed sessions left, open the journal and the
// output, run the orchestrator until a stop condition or Ctrl-C, then print what was
// captured. `capture cleanup` is cleanup_command.h's, `--dry-run` dry_run.h's.
#pragma once

#include <string>
#include <vector>

#include "model/session_spec.h"
#include "session/global_options.h"
#include "vsphere/vcenter.h"

namespace vmc::session {

/// Runs the session; returns the exit code.
int run_session(const model::SessionSpec& spec, const GlobalOptions& g);

/// The output is named after the first VM as the user typed it and the time, when the
/// spec names none: "testvm1-20261126T072500Z.pcapng".
void fill_default_output(model::SessionSpec& spec);

/// Resolves the spec's VM targets to managed object ids (names can repeat: find_vm
/// refuses an ambiguous one), so the orchestrator matches exactly the VM found here.
Result<std::vector<model::VmInfo>> resolve_targets(vsphere::VCenter& vc, model::SessionSpec& spec);

}  // namespace vmc::session
