// A human-readable account of what a SessionSpec would capture (`capture plan check`,
// `capture vm --dry-run`).
#pragma once

#include <string>

#include "model/session_spec.h"

namespace vmc::plan {

/// Several "  label: value" lines, each ending in '\n'.
std::string describe(const model::SessionSpec& spec);

}  // namespace vmc::plan
