#include "orchestrator/runtime.h"

#include <algorithm>
#include <exception>
#include <set>

#include <spdlog/spdlog.h>

namespace vmc::orchestrator {

using Kind = JournalRecord::Kind;
using std::chrono::milliseconds;

Runtime::Runtime(model::SessionSpec spec, VCenterApi& vcenter, HostConnector& hosts,
                 Clock& clock, Sink& sink, Journal& journal, RuntimeOptions options)
    : spec_(std::move(spec)),
      opt_(options),
      record_(sink, journal, clock),
      hosts_(hosts, record_, opt_.backoff_initial, opt_.backoff_max),
      observer_(spec_, opt_, vcenter, hosts_, record_),
      captures_(spec_, opt_, hosts_, observer_, record_),
      overrides_(vcenter, record_, spec_.drs.behavior) {}

Result<SessionSummary> Runtime::run() {
  auto& summary = record_.summary();
  summary.session_id = opt_.session_id;
  summary.name = spec_.name;
  summary.started = record_.now();

  // Without a journal a crash could leave captures nobody can find: refuse to start.
  JournalRecord start;
  start.kind = Kind::SessionStart;
  start.at = summary.started;
  start.session_id = opt_.session_id;
  start.pid = opt_.pid;
  start.name = spec_.name;
  if (auto s = record_.journal_or_fail(start); !s) {
    summary.end_reason = EndReason::Error;
    summary.ended = record_.now();
    summary.error = s.error().message;
    (void)record_.sink().finalize(summary);
    return s.error().context("cannot start the session without its journal");
  }

  Status outcome;
  try {
    outcome = loop();
  } catch (const std::exception& e) {
    outcome = Error("orchestrator.exception", std::string("unexpected failure: ") + e.what());
  }
  if (!outcome) {
    summary.end_reason = EndReason::Error;
    record_.error(outcome.error().message, /*first=*/true);
  }
  const std::string why = outcome ? to_string(summary.end_reason)
                                  : "session failed: " + outcome.error().message;
  try {
    teardown(why);
  } catch (const std::exception& e) {
    record_.error(std::string("teardown failed: ") + e.what() +
                  "; run `capture cleanup` to undo what is left");
  }
  summary.ended = record_.now();
  for (auto& g : summary.gaps)
    if (!g.to) g.to = summary.ended;
  const auto& errors = record_.errors();
  for (size_t i = 0; i < errors.size(); ++i) summary.error += (i ? "; " : "") + errors[i];

  Status finalized = record_.sink().finalize(summary);
  JournalRecord end;
  end.kind = Kind::SessionEnd;
  end.at = summary.ended;
  end.detail = why;
  record_.journal(end);

  if (!outcome) return outcome.error();
  if (!finalized) return finalized.error().context("finalizing the output");
  if (!errors.empty()) return Error("orchestrator.errors", summary.error);
  return summary;
}

Status Runtime::loop() {
  if (auto st = observer_.first_look(); !st) return st;
  auto& summary = record_.summary();
  while (true) {
    if (auto f = record_.sink().output_failure())
      return Error("output.write", *f + "; the session stops here, keeping what was written");
    // Connections to every host a VM may move to are made ahead, in the background, so
    // a re-pin after a vMotion does not wait for an SSH handshake.
    for (const auto& h : observer_.seen().hosts) hosts_.prepare(h);
    if (auto r = stop_condition()) {
      summary.end_reason = *r;
      return {};
    }
    execute(reconcile(spec_, observer_.seen(), running()), /*final_pass=*/false);
    captures_.update_coverage("capture stopped");
    // Health after reconcile: when an event moved a VM, its new capture already runs and
    // the old one is stopped by reconcile, not restarted as "deaf".
    captures_.check_health();
    if (auto r = stop_condition()) {
      summary.end_reason = *r;
      return {};
    }
    if (auto st = observer_.wait_for_events(wait_time()); !st) return st;
    if (auto st = observer_.look(); !st) return st;
    // A session of VMs only ends when vCenter no longer has any of them (deleted):
    // nothing it could capture will come back under the same identity.
    if (spec_.uplinks.empty() && !spec_.vms.empty() && observer_.targets_gone()) {
      record_.comment("every VM of this session was deleted from vCenter (no longer in its "
                      "inventory): the session ends");
      summary.end_reason = EndReason::TargetsGone;
      return {};
    }
  }
}

Running Runtime::running() const { return Running{captures_.pins(), overrides_.held()}; }

void Runtime::execute(const std::vector<Action>& actions, bool final_pass) {
  std::vector<std::string> comments;
  for (const auto& a : actions)
    if (a.kind == ActionKind::Comment) comments.push_back(a.reason);
  record_.pass_comments(comments);
  std::set<model::MoRef> touched;
  for (const auto& a : actions) {
    if (!a.vm.empty() && a.kind != ActionKind::Comment) touched.insert(a.vm);
    switch (a.kind) {
      case ActionKind::Comment:
        break;
      case ActionKind::SetOverride:
        overrides_.set(a);
        break;
      case ActionKind::StartPin:
      case ActionKind::StartBridge:
        captures_.start(a);
        break;
      case ActionKind::StopPin:
      case ActionKind::StopBridge:
        captures_.stop(a, final_pass);
        break;
      case ActionKind::RestoreOverride:
        overrides_.restore(a);
        break;
    }
  }
  for (const auto& vm : touched) observer_.events().said(vm);
}

Progress Runtime::progress() {
  const auto now = record_.now();
  const auto totals = record_.sink().totals();
  Progress p;
  p.elapsed = now - record_.summary().started;
  p.frames = totals.frames;
  p.bytes = totals.bytes;
  p.boots = observer_.boots();
  if (auto last = observer_.last_boot_at()) p.since_last_boot = now > *last ? now - *last : model::TimePoint::duration(0);
  return p;
}

std::optional<EndReason> Runtime::stop_condition() {
  if (stop_requested_ || (opt_.stop_flag != nullptr && opt_.stop_flag->load()))
    return EndReason::Requested;
  auto reached = stop_reached(spec_.stop, progress(), opt_.boots_grace);
  if (reached) spdlog::info("the session ends: {}", describe(*reached, spec_.stop));
  return reached;
}

milliseconds Runtime::wait_time() {
  return time_to_stop(spec_.stop, progress(), opt_.boots_grace, opt_.tick);
}

void Runtime::teardown(const std::string& reason) {
  for (int attempt = 0; attempt < std::max(1, opt_.teardown_attempts); ++attempt) {
    auto actions = orchestrator::teardown(running(), reason);
    if (actions.empty()) break;
    if (attempt > 0)
      record_.clock().sleep_for(util::Backoff(opt_.backoff_initial, opt_.backoff_max).delay_for(attempt - 1));
    execute(actions, /*final_pass=*/true);
  }
  captures_.give_up_on_leftovers();
  for (const auto& d : overrides_.unrestored())
    record_.error("could not restore the DRS override of " + d.vm_name + " in " + d.cluster.value +
                  "; run `capture cleanup` to restore it");
}

}  // namespace vmc::orchestrator
