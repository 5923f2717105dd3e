#include "orchestrator/host_access.h"

#include <spdlog/spdlog.h>

namespace vmc::orchestrator {

bool HostAccess::ready(const model::HostInfo& host) const {
  return backoff_.ready(host.ref.value, record_.now());
}

HostControl* HostAccess::connect(const model::HostInfo& host) {
  auto hp = connector_.connect(host);
  if (hp) return hp.value();
  unusable(host, hp.error());
  return nullptr;
}

HostControl* HostAccess::connect_quietly(const model::HostInfo& host) {
  auto hp = connector_.connect(host);
  return hp ? hp.value() : nullptr;
}

bool HostAccess::unavailable(const model::HostInfo& host, const Error& e) {
  if (!e.is(ErrorKind::Transient) && !e.is(ErrorKind::Refused)) return false;
  unusable(host, e);
  return true;
}

void HostAccess::unusable(const model::HostInfo& host, const Error& e) {
  const std::string text = e.context(host.name).message;
  // Lost and being reconnected in the background (Transient), or its first connection
  // still being made (Pending): try again at every pass, so the capture starts as soon
  // as the host answers; say so once.
  if (e.is(ErrorKind::Transient) || e.is(ErrorKind::Pending)) {
    if (waiting_.insert(host.ref.value).second)
      record_.comment(text + (e.is(ErrorKind::Pending) ? "; capturing as soon as it answers"
                                                        : "; capturing again as soon as it answers"));
    return;
  }
  const std::string retry = failed(host);
  // A refused host key or login needs the user: an error on stderr, once per host.
  if (e.is(ErrorKind::Refused) && refused_.insert(host.ref.value).second) {
    spdlog::error("{}", text);
    record_.error(text);
  }
  record_.comment(text + retry);
}

std::string HostAccess::failed(const model::HostInfo& host) {
  auto wait = backoff_.failed(host.ref.value, record_.now());
  return "; retrying in " + std::to_string(wait.count()) + " ms";
}

void HostAccess::answered(const model::HostInfo& host) {
  backoff_.succeeded(host.ref.value);
  if (waiting_.erase(host.ref.value)) record_.comment(host.name + " answers again");
}

}  // namespace vmc::orchestrator
