// The DRS override steps shared by a running session and a later cleanup: set the
// session's override remembering what was there, and put exactly that back.
#pragma once

#include <optional>
#include <string>

#include "orchestrator/seams.h"

namespace vmc::orchestrator {

/// The override the session sets for a VM under a DRS policy behaviour.
model::DrsVmOverride session_override(const model::MoRef& vm, const std::string& behavior);

/// Puts back `previous` (edit) or removes the override when there was none, if the
/// override is still the one we applied. One someone changed since is left alone, one
/// already restored is not touched: safe to repeat. Returns what was done, in words.
Result<std::string> restore_override(VCenterApi& vcenter, const model::MoRef& cluster,
                                     const model::MoRef& vm,
                                     const std::optional<model::DrsVmOverride>& previous,
                                     const model::DrsVmOverride& applied);

}  // namespace vmc::orchestrator
