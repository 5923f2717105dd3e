// Checks that look at a whole SessionSpec rather than one value: combinations that
// cannot work (on_host with stdout output, a ring without rotation, a tcpport filter
// with proto udp ...). Plans and `capture vm` flags run the same checks.
#pragma once

#include <string>
#include <vector>

#include "model/session_spec.h"

namespace vmc::plan {

/// One problem, tied to the field it is reported at ("output.rotation.ring",
/// "capture.filter.tcpport", "targets.vms[1]"); the caller maps the field to a
/// file:line:column or a flag name.
struct Problem {
  std::string field;
  std::string code;  // "plan.conflict", "plan.missing"
  std::string message;
  std::string other;  // the other field in a conflict, if any ("output.path")
};

enum class SpecKind {
  Plan,    // a complete session: needs targets
  Policy,  // defaults only: targets are not checked
};

std::vector<Problem> check_spec(const model::SessionSpec& spec, SpecKind kind);

}  // namespace vmc::plan
