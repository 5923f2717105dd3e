// Internals of VCenter shared with the watcher. Internal to src/vsphere.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "vsphere/session.h"
#include "vsphere/vcenter.h"
#include "vsphere/vim_client.h"

namespace vmc::vsphere {

struct VCenter::Impl {
  explicit Impl(ConnectOptions o, HttpWire* wire, Sleeper* s)
      : session(std::move(o), wire, s), sleeper(s) {}

  /// Properties of one object; values live until the next call on the session.
  Result<std::map<std::string, const xsd__anyType*>> props(const model::MoRef& obj,
                                                           const std::vector<std::string>& paths);
  void sleep(std::chrono::milliseconds d);

  Session session;
  Sleeper* sleeper;
};

}  // namespace vmc::vsphere
