#include "orchestrator/cleanup.h"

#include <algorithm>

#include "orchestrator/drs_steps.h"

namespace vmc::orchestrator {

using Kind = JournalRecord::Kind;

CleanupPlan plan_cleanup(const std::vector<JournalRecord>& records) {
  CleanupPlan plan;
  for (const auto& r : records) {
    switch (r.kind) {
      case Kind::ProcessStarted:
        plan.kill.push_back({r.host, r.host_name, r.host_address, r.remote_pid, r.pin_key, r.pin_name});
        break;
      case Kind::ProcessStopped:
        std::erase_if(plan.kill, [&](const LeftoverProcess& p) {
          return p.host == r.host && p.remote_pid == r.remote_pid;
        });
        break;
      case Kind::OverrideSet:
        std::erase_if(plan.restore, [&](const LeftoverOverride& o) {
          return o.cluster == r.cluster && o.vm == r.vm;
        });
        if (r.applied) plan.restore.push_back({r.cluster, r.vm, r.previous, *r.applied});
        break;
      case Kind::OverrideFailed:
      case Kind::OverrideRestored:
        std::erase_if(plan.restore, [&](const LeftoverOverride& o) {
          return o.cluster == r.cluster && o.vm == r.vm;
        });
        break;
      case Kind::SessionStart:
      case Kind::SessionEnd:
      case Kind::CleanupDone:
        break;
    }
  }
  return plan;
}

CleanupReport run_cleanup(const CleanupPlan& plan, HostConnector& hosts, VCenterPort& vcenter,
                          Journal& journal, Clock& clock) {
  CleanupReport report;
  auto note = [&](const Status& s) {
    if (!s) report.errors.push_back(s.error().context("recording cleanup in the journal"));
  };
  for (const auto& p : plan.kill) {
    const std::string what = "pktcap-uw " + std::to_string(p.remote_pid) + " on " +
                             (p.host_name.empty() ? p.host.value : p.host_name) + " (" +
                             p.pin_name + ")";
    model::HostInfo info;
    info.ref = p.host;
    info.name = p.host_name;
    info.mgmt_address = p.host_address;
    auto host = hosts.connect(info);
    if (!host) {
      report.errors.push_back(host.error().context("cannot stop " + what));
      continue;
    }
    if (auto s = host.value()->kill_leftover(p.remote_pid); !s) {
      report.errors.push_back(s.error().context("cannot stop " + what));
      continue;
    }
    ++report.killed;
    report.notes.push_back("stopped " + what);
    note(journal.append(process_record(Kind::ProcessStopped, clock.now(), info, p.remote_pid,
                                       p.pin_key, p.pin_name, "cleanup")));
  }
  for (const auto& o : plan.restore) {
    auto done = restore_override(vcenter, o.cluster, o.vm, o.previous, o.applied);
    if (!done) {
      report.errors.push_back(done.error());
      continue;
    }
    ++report.restored;
    report.notes.push_back(done.value());
    JournalRecord r;
    r.kind = Kind::OverrideRestored;
    r.at = clock.now();
    r.cluster = o.cluster;
    r.vm = o.vm;
    r.previous = o.previous;
    r.applied = o.applied;
    r.detail = "cleanup: " + done.value();
    note(journal.append(r));
  }
  if (report.ok()) {
    JournalRecord r;
    r.kind = Kind::CleanupDone;
    r.at = clock.now();
    note(journal.append(r));
  }
  return report;
}

}  // namespace vmc::orchestrator
