#include "orchestrator/boot_counter.h"

namespace vmc::orchestrator {

bool BootCounter::count(PerVm& v, model::TimePoint at) {
  if (v.last_counted) {
    auto d = at > *v.last_counted ? at - *v.last_counted : *v.last_counted - at;
    if (d < window_) return false;
  }
  v.last_counted = at;
  ++total_;
  return true;
}

bool BootCounter::on_event(const model::VmEvent& e) {
  if (e.kind != model::VmEventKind::Reset && e.kind != model::VmEventKind::PoweredOn) return false;
  return count(vms_[e.vm], e.at);
}

bool BootCounter::on_observed(const model::VmInfo& vm) {
  PerVm& v = vms_[vm.ref];
  if (!v.seen) {
    v.seen = true;
    v.boot_time = vm.boot_time;
    return false;
  }
  if (!vm.boot_time || vm.boot_time == v.boot_time) return false;
  v.boot_time = vm.boot_time;
  return count(v, *vm.boot_time);
}

}  // namespace vmc::orchestrator
