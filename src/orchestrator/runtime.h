// The session loop: observe, reconcile, execute, wait for the next event or tick, until
// a stop condition, a stop request or an error; then stop every capture, restore every
// DRS override and finalize the output, whatever way the session ended.
//
// Runtime only drives; the state is its parts': what the session tells (SessionRecord),
// its way to the hosts (HostAccess), what it sees (Observer: the observation, port
// cache, recent events, boots), what it runs (Captures: running pins, coverage and
// gaps, re-pins, orphans) and the DRS overrides it holds (HeldOverrides).
#pragma once

#include <atomic>
#include <optional>
#include <string>
#include <vector>

#include "model/session_spec.h"
#include "orchestrator/captures.h"
#include "orchestrator/held_overrides.h"
#include "orchestrator/host_access.h"
#include "orchestrator/journal.h"
#include "orchestrator/observer.h"
#include "orchestrator/reconcile.h"
#include "orchestrator/runtime_options.h"
#include "orchestrator/seams.h"
#include "orchestrator/session_record.h"
#include "orchestrator/stop_conditions.h"
#include "orchestrator/summary.h"

namespace vmc::orchestrator {

class Runtime {
 public:
  Runtime(model::SessionSpec spec, VCenterApi& vcenter, HostConnector& hosts, Clock& clock,
          Sink& sink, Journal& journal, RuntimeOptions options);

  /// Runs the session to its end. The summary is returned (and given to the sink) in
  /// every case; an error says why the session failed, after everything was undone.
  Result<SessionSummary> run();

  /// Thread-safe: ends the session at the next pass.
  void request_stop() { stop_requested_ = true; }

 private:
  Status loop();
  Running running() const;
  void execute(const std::vector<Action>& actions, bool final_pass);
  Progress progress();
  std::optional<EndReason> stop_condition();
  std::chrono::milliseconds wait_time();
  void teardown(const std::string& reason);

  const model::SessionSpec spec_;
  const RuntimeOptions opt_;
  std::atomic<bool> stop_requested_{false};
  SessionRecord record_;
  HostAccess hosts_;
  Observer observer_;
  Captures captures_;
  HeldOverrides overrides_;
};

}  // namespace vmc::orchestrator
