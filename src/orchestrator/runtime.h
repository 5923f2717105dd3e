// The session loop: observe, reconcile, execute, wait for the next event or tick, until
// a stop condition, a stop request or an error; then stop every capture, restore every
// DRS override and finalize the output, whatever way the session ended.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "model/session_spec.h"
#include "util/backoff.h"
#include "orchestrator/boot_counter.h"
#include "orchestrator/journal.h"
#include "orchestrator/observation.h"
#include "orchestrator/ports.h"
#include "orchestrator/reconcile.h"
#include "orchestrator/summary.h"

namespace vmc::orchestrator {

struct RuntimeOptions {
  std::string session_id;
  int64_t pid = 0;                                 // of this process, for the journal
  std::chrono::milliseconds tick{500};             // longest wait for an event
  std::chrono::milliseconds resync{30000};         // re-check every known port this often
  std::chrono::milliseconds settle{15000};         // after an event, re-check the VM's ports at every pass
  std::chrono::milliseconds backoff_initial{500};  // per-host retry after a failure
  // Short: a host back after an outage must be captured again within seconds.
  std::chrono::milliseconds backoff_max{5000};
  // Reports of one boot this close are one boot (the reset event and the bootTime it set
  // arrive within milliseconds; two resets are seconds apart).
  std::chrono::milliseconds boot_window{1000};
  std::chrono::milliseconds boots_grace{10000};    // keep capturing this long after the last boot
  std::chrono::milliseconds vcenter_give_up{300000};  // vCenter unreachable this long = error
  int teardown_attempts = 3;                       // per stop/restore at the end
  const std::atomic<bool>* stop_flag = nullptr;    // set by a signal handler
};

class Runtime {
 public:
  Runtime(model::SessionSpec spec, VCenterPort& vcenter, HostConnector& hosts, Clock& clock,
          Sink& sink, Journal& journal, RuntimeOptions options);

  /// Runs the session to its end. The summary is returned (and given to the sink) in
  /// every case; an error says why the session failed, after everything was undone.
  Result<SessionSummary> run();

  /// Thread-safe: ends the session at the next pass.
  void request_stop() { stop_requested_ = true; }

 private:
  struct RunningPin {
    Pin pin;
    HostPort* host = nullptr;
    CaptureHandle handle;
    model::HostInfo host_info;
    size_t span = 0;  // index into summary_.pins
  };
  struct HeldDrs {
    HeldOverride held;
    std::optional<model::DrsVmOverride> previous;
    std::optional<model::DrsVmOverride> applied;  // nullopt: not set (refused or needless)
  };
  struct CachedPort {
    NicPort port;
    model::TimePoint resolved_at{};
  };

  Status loop();
  Result<Observation> observe();
  NicPort resolve(const model::HostInfo& host, const std::string& mac,
                  std::map<std::string, std::vector<model::PortInfo>>& api_ports);
  Running running_view() const;
  void execute(const std::vector<Action>& actions, bool final_pass);
  void start_pin(const Action& a);
  // A host that could not be used to start a capture: why, and when to try again.
  void host_unavailable(const model::HostInfo& host, const Error& e);
  // Kills the captures on `host` that were cut off when its connection was lost.
  void kill_orphans(const model::HostInfo& host, HostPort& hp);
  // Re-pin bookkeeping for a port capture just started; may reword `reason`.
  void note_port_pin(const Pin& pin, model::TimePoint now, std::string& reason);
  bool stop_pin(const Action& a, bool final_pass);
  void set_override(const Action& a);
  bool restore(const Action& a);
  void check_health();
  void on_event(const model::VmEvent& e);
  void update_coverage(const std::string& why);
  std::optional<EndReason> stop_condition();
  std::chrono::milliseconds wait_time();
  void teardown(const std::string& reason);
  void comment(const std::string& text);
  void journal(JournalRecord r);
  std::string host_key(const model::MoRef& host) const { return host.value; }
  std::string event_reason(const model::MoRef& vm) const;
  bool nic_had_port_pin(const std::pair<std::string, std::string>& nic) const;

  model::SessionSpec spec_;
  VCenterPort& vcenter_;
  HostConnector& hosts_;
  Clock& clock_;
  Sink& sink_;
  Journal& journal_;
  RuntimeOptions opt_;
  std::atomic<bool> stop_requested_{false};

  SessionSummary summary_;
  Observation obs_;
  std::vector<RunningPin> running_;
  std::vector<HeldDrs> drs_;
  util::KeyedBackoff backoff_;
  BootCounter boots_;
  std::optional<model::TimePoint> last_boot_at_;
  std::map<std::pair<std::string, std::string>, CachedPort> port_cache_;
  // ("host|mac", port) -> when that port was first seen
  std::map<std::pair<std::string, std::string>, model::TimePoint> port_first_seen_;
  std::map<model::MoRef, model::TimePoint> settle_until_;
  std::map<model::MoRef, model::VmEvent> trigger_;     // first event since the VM's last pin
  std::map<model::MoRef, std::string> last_event_;     // for comments
  std::set<std::string> last_comments_;
  // NIC -> ("host|port" of its last port capture, pin names there)
  std::map<std::pair<std::string, std::string>, std::pair<std::string, std::vector<std::string>>>
      last_pins_;
  std::map<std::pair<std::string, std::string>, size_t> open_gaps_;  // NIC -> index in summary_.gaps
  // NICs (vm moref value, MAC) a capture covered at the last check, with the VM.
  std::map<std::pair<std::string, std::string>, std::pair<model::MoRef, std::string>> covered_;
  std::map<std::pair<std::string, std::string>, std::string> stop_reasons_;  // since the last check
  std::map<std::pair<std::string, std::string>, model::TimePoint> gap_from_;  // ditto: last known good
  struct Orphan {
    int64_t pid;
    std::string pin_key, pin_name;
    model::HostInfo host;
  };
  std::map<std::string, std::vector<Orphan>> orphans_;  // host ref -> cut-off captures
  std::set<std::string> host_waits_;     // hosts being reconnected (noted once)
  // NIC -> pin key of its capture cut off from us but still recording on the host.
  std::map<std::pair<std::string, std::string>, std::string> recording_on_host_;
  std::set<std::string> refused_hosts_;  // hosts that refused our key or login (reported once)
  std::set<std::string> restarting_;  // pin keys whose capture died and is to be restarted
  std::optional<model::TimePoint> vcenter_failing_since_;
  std::vector<std::string> errors_;
};

}  // namespace vmc::orchestrator
