#include "orchestrator/recent_events.h"

namespace vmc::orchestrator {

using namespace std::chrono_literals;
using std::chrono::milliseconds;

namespace {

// Events of one change (reset event, bootTime, new port) arrive this close together.
constexpr milliseconds kBurst{2000};

bool is_trigger(model::VmEventKind k) {
  using K = model::VmEventKind;
  return k == K::Reset || k == K::PoweredOn || k == K::Moved || k == K::PortsChanged ||
         k == K::NicsChanged || k == K::Resynced;
}

}  // namespace

milliseconds ms_between(model::TimePoint from, model::TimePoint to) {
  return to > from ? std::chrono::duration_cast<milliseconds>(to - from) : 0ms;
}

void RecentEvents::noted(const model::MoRef& vm, const model::VmEvent& e, const std::string& text,
                         model::TimePoint now) {
  last_[vm] = text;
  settle(vm, now);
  // The first event of a burst is the trigger of the re-pin that follows; an older
  // trigger that led to no re-pin (the start-up port listing) is replaced.
  auto t = trigger_.find(vm);
  if (is_trigger(e.kind) && (t == trigger_.end() || ms_between(t->second.at, e.at) > kBurst))
    trigger_[vm] = e;
}

bool RecentEvents::settling(const model::MoRef& vm, model::TimePoint now) const {
  auto it = settle_until_.find(vm);
  return it != settle_until_.end() && now < it->second;
}

std::string RecentEvents::after(const model::MoRef& vm) const {
  auto it = last_.find(vm);
  return it == last_.end() ? "" : " after " + it->second;
}

std::optional<model::VmEvent> RecentEvents::trigger(const model::MoRef& vm, model::TimePoint now) const {
  auto t = trigger_.find(vm);
  if (t == trigger_.end() || ms_between(t->second.at, now) > settle_) return std::nullopt;
  return t->second;
}

}  // namespace vmc::orchestrator
