// The DRS overrides this session holds: set when reconcile asks (what was there is
// journaled first, so a crash can be undone), restored exactly when it asks again or at
// the end. One vCenter refused stays held, unapplied, so it is not tried at every pass.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "orchestrator/reconcile.h"
#include "orchestrator/seams.h"
#include "orchestrator/session_record.h"

namespace vmc::orchestrator {

class HeldOverrides {
 public:
  HeldOverrides(VCenterApi& vcenter, SessionRecord& record, std::string behavior)
      : vcenter_(vcenter), record_(record), behavior_(std::move(behavior)) {}

  void set(const Action& a);
  /// False when the restore failed (the override stays held).
  bool restore(const Action& a);
  /// For the reconciler.
  std::vector<HeldOverride> held() const;
  /// Overrides applied and not restored: what the end of the session must say.
  std::vector<HeldOverride> unrestored() const;

 private:
  struct Held {
    HeldOverride held;
    std::optional<model::DrsVmOverride> previous;
    std::optional<model::DrsVmOverride> applied;  // nullopt: not set (refused or needless)
  };

  VCenterApi& vcenter_;
  SessionRecord& record_;
  std::string behavior_;
  std::vector<Held> held_;
};

}  // namespace vmc::orchestrator
