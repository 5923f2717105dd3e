#include "orchestrator/drs_steps.h"

namespace vmc::orchestrator {

model::DrsVmOverride session_override(const model::MoRef& vm, const std::string& behavior) {
  model::DrsVmOverride o;
  o.vm = vm;
  o.enabled = true;
  o.behavior = behavior;
  return o;
}

static std::string describe(const std::optional<model::DrsVmOverride>& o) {
  return o ? "'" + o->behavior + "'" : "none";
}

Result<std::string> restore_override(VCenterApi& vcenter, const model::MoRef& cluster,
                                     const model::MoRef& vm,
                                     const std::optional<model::DrsVmOverride>& previous,
                                     const model::DrsVmOverride& applied) {
  const std::string where = "DRS override of " + vm.value + " in " + cluster.value;
  auto current = vcenter.get_override(cluster, vm);
  if (!current) return current.error().context("reading the " + where);
  const auto& cur = current.value();
  auto same = [](const std::optional<model::DrsVmOverride>& a,
                 const std::optional<model::DrsVmOverride>& b) {
    if (!a || !b) return !a && !b;
    return a->behavior == b->behavior;
  };
  if (!same(cur, applied)) {
    if (same(cur, previous)) return where + " already " + describe(previous);
    return where + " is " + describe(cur) + ", changed since we set " + describe(applied) +
           "; left as it is";
  }
  if (same(previous, applied)) return where + " was already " + describe(previous) + " before";
  if (previous) {
    model::DrsVmOverride back = *previous;
    back.vm = vm;
    if (auto s = vcenter.set_override(cluster, back); !s)
      return s.error().context("restoring the " + where + " to " + describe(previous));
    return where + " restored to " + describe(previous);
  }
  if (auto s = vcenter.remove_override(cluster, vm); !s)
    return s.error().context("removing the " + where + " this session added");
  return where + " removed (there was none before)";
}

}  // namespace vmc::orchestrator
