// A temporary DRS "VM override" for the duration of a capture: set the VM's automation
// level (manual by default) and later put back exactly what was there -- edit the prior
// override back, or remove only the override we added. Every step goes to a journal
// callback first so that a crashed run can be undone from the journal.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "model/inventory.h"
#include "util/result.h"

namespace vmc::vsphere {

/// The cluster side effects, behind a seam (VCenter implements it; tests fake it).
class ClusterDrsApi {
 public:
  virtual ~ClusterDrsApi() = default;
  /// DRS settings and every VM override of the cluster.
  virtual Result<model::ClusterInfo> read_cluster(const model::MoRef& cluster) = 0;
  /// ReconfigureComputeResource_Task with one drsVmConfigSpec ("add", "edit", "remove"),
  /// waited for until it finishes. Errors keep the fault type as code (NoPermission...).
  virtual Status apply(const model::MoRef& cluster, const std::string& operation,
                       const model::DrsVmOverride& info) = 0;
};

/// What restore() needs; journal it (see to_string) so another process can restore.
struct DrsSaved {
  model::MoRef cluster;
  model::MoRef vm;
  bool changed = false;                      // false: nothing was set, nothing to undo
  std::optional<model::DrsVmOverride> prior; // the override before we touched it
  std::string applied_behavior;              // what we set
  friend bool operator==(const DrsSaved&, const DrsSaved&) = default;
};

/// One step, reported before it is attempted ("set" / "restore") and after ("done").
struct DrsStep {
  std::string phase;      // "set", "set-done", "restore", "restore-done", "skip"
  std::string operation;  // "add", "edit", "remove" or "" for none
  DrsSaved saved;
  std::string note;       // why a step was skipped, for the log
};

class DrsOverride {
 public:
  using Journal = std::function<void(const DrsStep&)>;
  DrsOverride(ClusterDrsApi& api, Journal journal) : api_(api), journal_(std::move(journal)) {}

  /// Sets `behavior` for `vm`. Idempotent: an override already at `behavior` is left
  /// alone (changed=false). Errors: "drs.overrides-disabled" when the cluster ignores VM
  /// overrides, "drs.no-permission" without Host.Inventory.EditCluster; callers report
  /// them and go on capturing (the watcher still follows DRS moves).
  Result<DrsSaved> set(const model::MoRef& cluster, const model::MoRef& vm,
                       const std::string& behavior);

  /// Puts back what `saved` says was there. Idempotent (safe to repeat after a crash);
  /// an override someone else changed meanwhile is left as they set it.
  Status restore(const DrsSaved& saved);

 private:
  Error explain(const Error& e, const model::MoRef& cluster, const std::string& what) const;
  ClusterDrsApi& api_;
  Journal journal_;
};

/// "edit domain-c8 vm-42: fullyAutomated -> manual" and the like, for logs.
std::string to_string(const DrsSaved& s);

}  // namespace vmc::vsphere
