// What the session remembers of each VM's recent events: the last one, in words (a pin
// started or stopped for the VM says "after VmReset (...)"), the one that triggers the
// re-pin to come (its latency counts from it), and until when the VM's ports are asked
// at every pass (`settle` after an event: the new port may show late).
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>

#include "model/events.h"
#include "model/inventory.h"

namespace vmc::orchestrator {

class RecentEvents {
 public:
  explicit RecentEvents(std::chrono::milliseconds settle) : settle_(settle) {}

  /// An event about `vm` arrived at `now`; `text` says it.
  void noted(const model::MoRef& vm, const model::VmEvent& e, const std::string& text,
             model::TimePoint now);
  /// The VM's ports are asked at every pass from `now` on, for the settle time.
  void settle(const model::MoRef& vm, model::TimePoint now) { settle_until_[vm] = now + settle_; }
  bool settling(const model::MoRef& vm, model::TimePoint now) const;

  /// " after <the last event>" while it has not been said with an action; else "".
  std::string after(const model::MoRef& vm) const;
  /// An action for the VM said it.
  void said(const model::MoRef& vm) { last_.erase(vm); }

  /// The event that triggered the VM's re-pin running at `now` (no older than the
  /// settle time), if any.
  std::optional<model::VmEvent> trigger(const model::MoRef& vm, model::TimePoint now) const;
  /// The re-pin it triggered was recorded.
  void trigger_used(const model::MoRef& vm) { trigger_.erase(vm); }

 private:
  std::chrono::milliseconds settle_;
  std::map<model::MoRef, std::string> last_;
  std::map<model::MoRef, model::VmEvent> trigger_;  // first event since the VM's last re-pin
  std::map<model::MoRef, model::TimePoint> settle_until_;
};

/// From `from` to `to`, or zero when `to` is not later.
std::chrono::milliseconds ms_between(model::TimePoint from, model::TimePoint to);

}  // namespace vmc::orchestrator
