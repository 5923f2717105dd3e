// What a session did, for the manifest beside the pcapng and the closing note.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "model/events.h"
#include "model/inventory.h"
#include "orchestrator/pin.h"

namespace vmc::orchestrator {

/// One stretch of time a pin's capture ran.
struct PinSpan {
  Pin pin;
  int64_t remote_pid = 0;
  model::TimePoint start{};
  std::optional<model::TimePoint> end;
  std::string start_reason;
  std::string end_reason;
};

/// A time a VM NIC that had been captured was captured by nothing.
struct Gap {
  model::MoRef vm;
  std::string vm_name;
  std::string mac;
  model::TimePoint from{};
  std::optional<model::TimePoint> to;  // open until the NIC is covered again
  std::string reason;
};

/// A NIC's capture moved to a new port or host.
struct Repin {
  std::string vm_name;
  std::string mac;
  std::vector<std::string> from;  // pin names that ran before
  std::string to;
  std::string trigger;                              // the event that announced it, if any
  std::optional<std::chrono::milliseconds> since_event;      // event time -> capture running
  std::chrono::milliseconds since_port_seen{0};     // port first observed -> capture running
};

struct DrsChange {
  model::MoRef cluster;
  model::MoRef vm;
  std::string action;  // "set", "restore", "remove"
  std::optional<model::DrsVmOverride> previous;
  std::optional<model::DrsVmOverride> applied;
  bool ok = true;
  std::string message;
};

enum class EndReason { Requested, Duration, Packets, Bytes, Boots, TargetsGone, Error };
const char* to_string(EndReason r);

struct SessionSummary {
  std::string session_id;
  std::string name;
  model::TimePoint started{};
  model::TimePoint ended{};
  EndReason end_reason = EndReason::Requested;
  std::string error;  // set when end_reason is Error or teardown failed
  std::vector<PinSpan> pins;
  std::vector<Gap> gaps;
  std::vector<Repin> repins;
  std::vector<model::VmEvent> events;
  std::vector<DrsChange> drs;
  int boots = 0;
  int restarts = 0;  // captures restarted after dying

  /// Re-pin latency figures (event time when known, else port observation time).
  std::optional<std::chrono::milliseconds> median_repin_latency() const;
  std::optional<std::chrono::milliseconds> worst_repin_latency() const;
};

}  // namespace vmc::orchestrator
