// The reconciler: from the session spec, what the world looks like now and what this
// session has running, the list of actions that make the second match the first.
// Level-triggered and pure: the same inputs always give the same actions, and a missed
// event only delays convergence to the next observation.
#pragma once

#include <string>
#include <vector>

#include "model/session_spec.h"
#include "orchestrator/observation.h"
#include "orchestrator/pin.h"

namespace vmc::orchestrator {

/// A DRS override this session set (or tried to set and was refused: it is still held
/// so that it is not tried again at every pass).
struct HeldOverride {
  model::MoRef cluster;
  model::MoRef vm;
  std::string vm_name;
};

/// What this session believes it has running.
struct Running {
  std::vector<Pin> pins;
  std::vector<HeldOverride> overrides;
};

enum class ActionKind {
  Comment,          // something the user should know (target not found, LAG unknown...)
  SetOverride,      // set the session's DRS override for `vm` in `cluster`
  StartPin,         // start a VmPort or Uplink capture
  StartBridge,      // start a MAC-filtered uplink capture covering an unknown port
  StopBridge,
  StopPin,
  RestoreOverride,  // put back what was there before SetOverride
};

const char* to_string(ActionKind k);

struct Action {
  ActionKind kind = ActionKind::Comment;
  Pin pin;               // Start*/Stop*
  model::MoRef cluster;  // *Override
  model::MoRef vm;       // the VM the action is about (empty for uplink targets)
  std::string vm_name;
  std::string reason;    // why, in words, for logs and pcapng comments
  /// StartPin of a VM port: the names of the NIC's port pins it replaces (a re-pin as
  /// the reconciler sees it); empty for the NIC's first pin here.
  std::vector<std::string> repin_from;

  /// "start esx01 port 101 both (re-pin from esx01 port 100 both)"; used by tests.
  std::string to_string() const;
};

/// Actions in execution order: comments, overrides to set, captures to start (ports and
/// uplinks before bridges), captures to stop, overrides to restore. Starting before
/// stopping makes a re-pin overlap the old and new capture wherever both can exist.
std::vector<Action> reconcile(const model::SessionSpec& spec, const Observation& observed,
                              const Running& running);

/// Why a VM port capture starts: "capture testvm1 00:50:56:..." for the NIC's first pin,
/// "re-pin testvm1 00:50:56:... from esx01 port 100 both" when it replaces `from`.
std::string start_reason(const Pin& pin, const std::vector<std::string>& from);

/// Everything to undo at the end of a session: stop every pin, restore every override.
std::vector<Action> teardown(const Running& running, const std::string& reason);

/// The pktcap-uw directions a spec direction needs on a host of this ESXi version: {Both}
/// where `--dir 2` exists, {In, Out} where it does not, else the one direction.
std::vector<model::Direction> directions_for(model::Direction wanted, const std::string& version);

/// Whether a watched VM is the one a plan target names (name, inventory path, moref value
/// or one of its NIC MACs).
bool target_matches(const model::VmTarget& target, const model::VmInfo& vm);

/// The VM's NICs a target selects (by label or MAC; all when the target names none).
std::vector<model::NicInfo> selected_nics(const model::VmTarget& target, const model::VmInfo& vm);

}  // namespace vmc::orchestrator
