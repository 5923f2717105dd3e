#include "orchestrator/coverage.h"

#include <algorithm>

#include "orchestrator/recent_events.h"

namespace vmc::orchestrator {

void Coverage::stopped(const NicKey& nic, std::string reason) {
  stop_reasons_[nic] = std::move(reason);
}

void Coverage::ended(const NicKey& nic, std::string reason, model::TimePoint last_good,
                     bool still_recording) {
  stop_reasons_[nic] = std::move(reason);
  last_good_[nic] = last_good;
  if (still_recording) still_recording_.insert(nic);
}

std::vector<std::string> Coverage::update(const std::vector<Pin>& running,
                                          const std::vector<model::VmInfo>& vms,
                                          const std::string& why, model::TimePoint now,
                                          std::vector<Gap>& gaps) {
  std::vector<std::string> said;
  std::map<NicKey, std::string> covered;
  for (const auto& p : running)
    if (p.kind != PinKind::Uplink) covered[p.nic()] = p.vm_name;
  for (auto it = still_recording_.begin(); it != still_recording_.end();) {
    const bool restarted = covered.count(*it) != 0;
    const bool vm_left = std::none_of(vms.begin(), vms.end(),
                                      [&](const model::VmInfo& v) { return v.ref == it->vm; });
    if (restarted || vm_left) {
      it = still_recording_.erase(it);
      continue;
    }
    if (auto c = covered_.find(*it); c != covered_.end()) covered[*it] = c->second;
    ++it;
  }
  for (const auto& [nic, vm_name] : covered_) {
    if (covered.count(nic) || open_gaps_.count(nic)) continue;
    auto reason = stop_reasons_.count(nic) ? stop_reasons_[nic] : why;
    const auto from = last_good_.count(nic) ? last_good_[nic] : now;
    gaps.push_back(Gap{nic.vm, vm_name, nic.mac.str(), from, std::nullopt, reason});
    open_gaps_[nic] = gaps.size() - 1;
    said.push_back("gap begins: nothing captures " + vm_name + " " + nic.mac.str() + " (" + reason + ")");
  }
  for (auto it = open_gaps_.begin(); it != open_gaps_.end();) {
    if (!covered.count(it->first)) {
      ++it;
      continue;
    }
    Gap& g = gaps[it->second];
    g.to = now;
    said.push_back("gap ends: " + g.vm_name + " " + g.mac + " captured again after " +
                   std::to_string(ms_between(g.from, now).count()) + " ms");
    it = open_gaps_.erase(it);
  }
  stop_reasons_.clear();
  last_good_.clear();
  covered_ = std::move(covered);
  return said;
}

}  // namespace vmc::orchestrator
