#include "vsphere/drs_override.h"

namespace vmc::vsphere {
namespace {

std::optional<model::DrsVmOverride> find_override(const model::ClusterInfo& c,
                                                  const model::MoRef& vm) {
  for (const auto& o : c.overrides) {
    if (o.vm.value == vm.value) return o;
  }
  return std::nullopt;
}

std::string describe(const std::optional<model::DrsVmOverride>& o) {
  if (!o) return "none";
  std::string s = o->behavior.empty() ? "cluster default" : o->behavior;
  if (o->enabled && !*o->enabled) s += " (DRS disabled for the VM)";
  return s;
}

}  // namespace

std::string to_string(const DrsSaved& s) {
  return s.cluster.value + " " + s.vm.value + ": " + describe(s.prior) + " -> " +
         (s.changed ? s.applied_behavior : describe(s.prior) + " (unchanged)");
}

Error DrsOverride::explain(const Error& e, const model::MoRef& cluster,
                           const std::string& what) const {
  if (e.is(ErrorKind::Refused)) {
    return Error("drs.no-permission",
                 what + " on cluster " + cluster.value +
                     " needs the privilege Host.Inventory.EditCluster, which this user lacks (" +
                     e.message + "); the capture goes on and follows DRS moves instead");
  }
  return e.context(what + " on cluster " + cluster.value);
}

Result<DrsSaved> DrsOverride::set(const model::MoRef& cluster, const model::MoRef& vm,
                                  const std::string& behavior) {
  auto info = api_.read_cluster(cluster);
  if (!info.ok()) return explain(info.error(), cluster, "reading the DRS settings");
  DrsSaved saved;
  saved.cluster = cluster;
  saved.vm = vm;
  saved.prior = find_override(*info, vm);
  saved.applied_behavior = behavior;
  if (!info->drs_enabled) {
    journal_({"skip", "", saved, "DRS is off on the cluster: nothing moves the VM"});
    return saved;
  }
  if (!info->vm_overrides_enabled) {
    return Error("drs.overrides-disabled",
                 "cluster " + (info->name.empty() ? cluster.value : info->name) +
                     " ignores per-VM DRS overrides (enableVmBehaviorOverrides is false), so "
                     "DRS may still move " + vm.value +
                     "; the capture goes on and follows the moves");
  }
  if (saved.prior && saved.prior->behavior == behavior &&
      (!saved.prior->enabled || *saved.prior->enabled)) {
    journal_({"skip", "", saved, "the override is already " + behavior});
    return saved;
  }
  const std::string op = saved.prior ? "edit" : "add";
  saved.changed = true;
  journal_({"set", op, saved, ""});
  if (auto st = api_.apply(cluster, op, {vm, true, behavior}); !st) {
    return explain(st.error(), cluster, "setting DRS " + behavior + " for " + vm.value);
  }
  journal_({"set-done", op, saved, ""});
  return saved;
}

Status DrsOverride::restore(const DrsSaved& saved) {
  if (!saved.changed) return {};
  auto info = api_.read_cluster(saved.cluster);
  if (!info.ok()) return explain(info.error(), saved.cluster, "reading the DRS settings");
  auto now = find_override(*info, saved.vm);
  std::string op;
  model::DrsVmOverride target{saved.vm, std::nullopt, ""};
  if (saved.prior) {
    if (now && *now == *saved.prior) {
      journal_({"skip", "", saved, "already restored"});
      return {};
    }
    op = now ? "edit" : "add";
    target = *saved.prior;
    target.vm = saved.vm;
  } else {
    if (!now) {
      journal_({"skip", "", saved, "already removed"});
      return {};
    }
    if (now->behavior != saved.applied_behavior) {
      journal_({"skip", "", saved,
                "someone changed the override to " + describe(now) + " meanwhile; left as is"});
      return {};
    }
    op = "remove";
  }
  journal_({"restore", op, saved, ""});
  if (auto st = api_.apply(saved.cluster, op, target); !st) {
    return explain(st.error(), saved.cluster, "restoring the DRS override of " + saved.vm.value);
  }
  journal_({"restore-done", op, saved, ""});
  return {};
}

}  // namespace vmc::vsphere
