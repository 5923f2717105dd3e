// The session summary as JSON (the orchestrator's part of the manifest beside the
// pcapng) and as the few lines printed when a session ends.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "orchestrator/summary.h"

namespace vmc::orchestrator {

nlohmann::json to_json(const SessionSummary& s);

/// "3 re-pins, latency median 420 ms, worst 910 ms; 1 gap (1.2 s); 2 boots; ...".
std::string closing_note(const SessionSummary& s);

}  // namespace vmc::orchestrator
