#include "orchestrator/port_cache.h"

namespace vmc::orchestrator {

std::optional<NicPort> PortCache::fresh(const HostMac& nic, model::TimePoint now,
                                        std::chrono::milliseconds max_age) const {
  auto it = found_.find(nic);
  if (it == found_.end() || now - it->second.at >= max_age) return std::nullopt;
  return it->second.port;
}

NicPort PortCache::known(const HostMac& nic, int64_t port_id, model::TimePoint now) {
  NicPort p{NicPort::State::Known, port_id};
  found_[nic] = Found{p, now};
  first_seen_.emplace(std::make_pair(nic, port_id), now);
  return p;
}

std::optional<model::TimePoint> PortCache::first_seen(const HostMac& nic, int64_t port_id) const {
  auto it = first_seen_.find({nic, port_id});
  if (it == first_seen_.end()) return std::nullopt;
  return it->second;
}

}  // namespace vmc::orchestrator
