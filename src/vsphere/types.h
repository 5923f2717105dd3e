// Plain results of vim25 calls that have no home in src/model: what the service and
// the session say about themselves.
#pragma once

#include <string>

#include "model/inventory.h"

namespace vmc::vsphere {

/// The parts of ServiceContent vm-capture uses.
struct ServiceInfo {
  model::MoRef root_folder;
  model::MoRef property_collector;
  model::MoRef view_manager;
  model::MoRef session_manager;
  model::MoRef event_manager;
  model::MoRef search_index;
  std::string name;          // "VMware vCenter Server"
  std::string full_name;     // "VMware vCenter Server 8.0.3 build-69507950"
  std::string version;       // "8.0.3"
  std::string build;
  std::string api_type;      // "VirtualCenter" or "HostAgent"
  std::string api_version;   // "8.0.2.0"
  std::string instance_uuid;
};

/// UserSession as returned by Login.
struct SessionInfo {
  std::string key;           // session id (a secret: never log it)
  std::string user_name;
  std::string full_name;
  std::string login_time;    // xsd:dateTime text
};

}  // namespace vmc::vsphere
