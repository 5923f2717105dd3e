#include "orchestrator/orphans.h"

namespace vmc::orchestrator {

std::vector<model::HostInfo> Orphans::hosts() const {
  std::vector<model::HostInfo> out;
  for (const auto& [ref, list] : by_host_) out.push_back(list.front().host);
  return out;
}

void Orphans::kill(const model::MoRef& host_ref, HostControl& host,
                   const std::function<void(const Orphan&, const Status&)>& done) {
  auto it = by_host_.find(host_ref);
  if (it == by_host_.end()) return;
  std::vector<Orphan> left;
  for (const auto& o : it->second) {
    const Status st = host.kill_leftover(o.pid);
    if (!st) left.push_back(o);
    done(o, st);
  }
  if (left.empty()) by_host_.erase(it);
  else it->second = std::move(left);
}

std::vector<Orphan> Orphans::take_all() {
  std::vector<Orphan> out;
  for (auto& [ref, list] : by_host_) out.insert(out.end(), list.begin(), list.end());
  by_host_.clear();
  return out;
}

}  // namespace vmc::orchestrator
