// The captures the session runs: started and stopped as reconcile asks, checked for
// health after every pass (one that died is restarted, one cut off with its host kept as
// an orphan until the host answers), with what that means for each NIC's coverage
// (Coverage) and re-pins (RepinLog) written into the session's record.
#pragma once

#include "orchestrator/coverage.h"
#include "orchestrator/orphans.h"
#include "orchestrator/reconcile.h"  // Action
#include "orchestrator/repin_log.h"
#include "util/backoff.h"

namespace vmc::orchestrator {

class HostAccess;
class Observer;
class SessionRecord;
struct RuntimeOptions;

class Captures {
 public:
  Captures(const model::SessionSpec& spec, const RuntimeOptions& opt, HostAccess& hosts,
           Observer& observer, SessionRecord& record);

  /// StartPin / StartBridge.
  void start(const Action& a);
  /// StopPin / StopBridge; false when it failed (it still runs). `final_pass`: the end
  /// of the session, no host backoff is waited for.
  bool stop(const Action& a, bool final_pass);
  /// Restarts captures that ended or went deaf, keeping those cut off with their host
  /// as orphans.
  void check_health();
  /// Opens and closes gaps for what runs now; `why` for a NIC no stop explains.
  void update_coverage(const std::string& why);
  /// For the reconciler.
  std::vector<Pin> pins() const;
  /// At the end, after the last stops: one more try at the orphans, then an error of the
  /// session for each capture left running on a host.
  void give_up_on_leftovers();

 private:
  struct Running {
    Pin pin;
    HostControl* host = nullptr;
    CaptureHandle handle;
    model::HostInfo host_info;
    size_t span = 0;  // index into the summary's pins
  };
  void kill_orphans(const model::HostInfo& host, HostControl& hp);
  /// Re-pin bookkeeping for a port capture just started by `a`; may reword `reason`.
  void note_port_pin(const Action& a, model::TimePoint now, std::string& reason);

  const model::SessionSpec& spec_;
  const RuntimeOptions& opt_;
  HostAccess& hosts_;
  Observer& observer_;
  SessionRecord& record_;
  std::vector<Running> running_;
  util::KeyedBackoff pin_backoff_;  // by pin key: a capture that keeps dying is not hammered
  Coverage coverage_;
  RepinLog repins_;
  Orphans orphans_;
};

}  // namespace vmc::orchestrator
