#include "orchestrator/held_overrides.h"

#include <algorithm>

#include "orchestrator/drs_steps.h"

namespace vmc::orchestrator {

using Kind = JournalRecord::Kind;

void HeldOverrides::set(const Action& a) {
  Held held{HeldOverride{a.cluster, a.vm, a.vm_name}, std::nullopt, std::nullopt};
  DrsChange change;
  change.cluster = a.cluster;
  change.vm = a.vm;
  change.action = "set";
  auto& summary = record_.summary();
  const std::string what = "DRS override of " + a.vm_name + " in " + a.cluster.value;
  auto refuse = [&](const Error& e) {
    change.ok = false;
    change.message = e.message;
    record_.comment(what + " not set: " + e.message + "; capturing goes on and follows DRS moves");
    held_.push_back(held);
    summary.drs.push_back(change);
  };
  auto current = vcenter_.get_override(a.cluster, a.vm);
  if (!current) return refuse(current.error());
  held.previous = current.value();
  change.previous = current.value();
  const model::DrsVmOverride want = session_override(a.vm, behavior_);
  if (current.value() && current.value()->behavior == want.behavior) {
    change.message = what + " already '" + want.behavior + "'; left as it is";
    held_.push_back(held);
    summary.drs.push_back(change);
    return;
  }
  auto r = override_record(Kind::OverrideSet, record_.now(), a.cluster, a.vm, held.previous, want);
  if (auto s = record_.journal_or_fail(r); !s)  // unrecorded, it could not be undone after a crash
    return refuse(s.error());
  if (auto s = vcenter_.set_override(a.cluster, want); !s) {
    r.kind = Kind::OverrideFailed;
    r.detail = s.error().message;
    record_.journal(r);
    return refuse(s.error());
  }
  held.applied = want;
  change.applied = want;
  change.message = what + " set to '" + want.behavior + "' (was " +
                   (held.previous ? "'" + held.previous->behavior + "'" : std::string("none")) + ")";
  record_.comment(change.message);
  held_.push_back(held);
  summary.drs.push_back(change);
}

bool HeldOverrides::restore(const Action& a) {
  auto it = std::find_if(held_.begin(), held_.end(), [&](const Held& d) {
    return d.held.cluster == a.cluster && d.held.vm == a.vm;
  });
  if (it == held_.end()) return true;
  if (!it->applied) {
    held_.erase(it);
    return true;
  }
  DrsChange change;
  change.cluster = a.cluster;
  change.vm = a.vm;
  change.action = "restore";
  change.previous = it->previous;
  change.applied = it->applied;
  auto done = restore_override(vcenter_, a.cluster, a.vm, it->previous, *it->applied);
  if (!done) {
    change.ok = false;
    change.message = done.error().message;
    record_.summary().drs.push_back(change);
    record_.comment(done.error().message);
    return false;
  }
  change.message = done.value();
  record_.summary().drs.push_back(change);
  record_.journal(override_record(Kind::OverrideRestored, record_.now(), a.cluster, a.vm,
                                  it->previous, it->applied, done.value()));
  record_.comment(done.value());
  held_.erase(it);
  return true;
}

std::vector<HeldOverride> HeldOverrides::held() const {
  std::vector<HeldOverride> out;
  for (const auto& d : held_) out.push_back(d.held);
  return out;
}

std::vector<HeldOverride> HeldOverrides::unrestored() const {
  std::vector<HeldOverride> out;
  for (const auto& d : held_)
    if (d.applied) out.push_back(d.held);
  return out;
}

}  // namespace vmc::orchestrator
