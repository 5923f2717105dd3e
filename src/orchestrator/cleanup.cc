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
        plan.kill.push_back(
            {r.host, r.host_name, r.host_address, r.remote_pid, r.pin_key, r.pin_name, r.remote_file});
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

CleanupReport run_cleanup(const CleanupPlan& plan, HostConnector& hosts, VCenterApi& vcenter,
                          Journal& journal, Clock& clock, const CleanupOptions& options) {
  CleanupReport report;
  auto note = [&](const Status& s) {
    if (!s) report.errors.push_back(s.error().context("recording cleanup in the journal"));
  };
  for (const auto& p : plan.kill) {
    const std::string host_label = p.host_name.empty() ? p.host.value : p.host_name;
    const std::string what =
        "pktcap-uw " + std::to_string(p.remote_pid) + " on " + host_label + " (" + p.pin_name + ")";
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
    std::string detail = "cleanup";
    if (!p.remote_file.empty()) {
      const std::string where = host_label + ":" + p.remote_file;
      if (!options.fetch_dir) {
        // Not recorded stopped: its file is still to be fetched.
        ++report.left_on_hosts;
        report.notes.push_back("its capture file " + where +
                               " stays on the host; `capture cleanup` fetches it");
        continue;
      }
      const std::string local =
          *options.fetch_dir + "/" + p.remote_file.substr(p.remote_file.rfind('/') + 1);
      auto got = host.value()->fetch_leftover_file(p.remote_file, local);
      if (got) {
        ++report.fetched;
        report.notes.push_back("fetched its capture file " + where + " to " + local + " (" +
                               std::to_string(got->bytes) + " bytes, size and SHA-256 verified)");
        if (!got->not_removed.empty()) report.notes.push_back(got->not_removed);
        detail = "cleanup: file fetched to " + local;
      } else if (got.error().is(ErrorKind::NotFound)) {
        report.notes.push_back("its capture file " + where + " is no longer on the host");
        detail = "cleanup: file no longer on the host";
      } else {
        report.errors.push_back(got.error().context("fetching the capture file of " + what));
        continue;
      }
    }
    note(journal.append(process_record(Kind::ProcessStopped, clock.now(), info, p.remote_pid,
                                       p.pin_key, p.pin_name, detail)));
  }
  for (const auto& o : plan.restore) {
    auto done = restore_override(vcenter, o.cluster, o.vm, o.previous, o.applied);
    if (!done) {
      report.errors.push_back(done.error());
      continue;
    }
    ++report.restored;
    report.notes.push_back(done.value());
    note(journal.append(override_record(Kind::OverrideRestored, clock.now(), o.cluster, o.vm,
                                        o.previous, o.applied, "cleanup: " + done.value())));
  }
  if (report.ok() && report.left_on_hosts == 0) {
    JournalRecord r;
    r.kind = Kind::CleanupDone;
    r.at = clock.now();
    note(journal.append(r));
  }
  return report;
}

}  // namespace vmc::orchestrator
