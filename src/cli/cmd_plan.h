// `capture plan check FILE...` and `capture plan run FILE`.
#pragma once

#include <functional>

#include "model/session_spec.h"

namespace CLI {
class App;
}

namespace vmc::cli {

/// Runs a validated session; returns the process exit code. Set by the caller that wires
/// `plan run` to the orchestrator.
using RunSession = std::function<int(const model::SessionSpec&)>;

/// Adds `plan check` and `plan run` under `app`. The chosen command stores its exit code in
/// `exit_code` when its callback runs (during app.parse). `plan run` loads and validates
/// the plan and then calls `run`; when `run` is empty it reports that running is not
/// available and exits 2.
void add_plan_command(CLI::App& app, int& exit_code, RunSession run = {});

}  // namespace vmc::cli
