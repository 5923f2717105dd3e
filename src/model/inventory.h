// Plain descriptions of vSphere objects as vm-capture sees them. The vsphere/ adapter
// fills them from SOAP replies; everything else reads only these.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace vmc::model {

using TimePoint = std::chrono::system_clock::time_point;

/// A managed object reference: "VirtualMachine:vm-42" is {type "VirtualMachine", value "vm-42"}.
struct MoRef {
  std::string type;
  std::string value;
  bool empty() const { return value.empty(); }
  std::string str() const { return type + ":" + value; }
  friend bool operator==(const MoRef&, const MoRef&) = default;
  friend auto operator<=>(const MoRef&, const MoRef&) = default;
};

enum class PowerState { On, Off, Suspended, Unknown };

/// One virtual NIC. `mac` is lower-case "00:50:56:aa:bb:cc".
struct NicInfo {
  int32_t device_key = 0;     // VirtualDevice.key, stable across reboots
  std::string label;          // "Network adapter 1"
  std::string mac;
  std::string network;        // portgroup name, or DVS portgroup key
  std::string dvs_uuid;       // set for distributed switch backings
  std::string dvport_key;     // DVPort key (NOT the ESXi port ID pktcap-uw wants)
  bool connected = true;
  friend bool operator==(const NicInfo&, const NicInfo&) = default;
};

struct VmInfo {
  MoRef ref;
  std::string name;
  std::string path;           // inventory path, "/dc1/vm/folder/testvm1"
  std::vector<NicInfo> nics;
  MoRef host;
  std::string host_name;
  MoRef cluster;              // empty for a standalone host
  PowerState power = PowerState::Unknown;
  std::optional<TimePoint> boot_time;
};

struct LagInfo {
  std::string name;                  // "lag1"
  std::vector<std::string> uplinks;  // member vmnics
};

struct HostInfo {
  MoRef ref;
  std::string name;               // as in vCenter, e.g. "esx01"
  std::string version;            // ESXi product version, "8.0.3"
  std::string mgmt_address;       // address to SSH to
  MoRef cluster;
  std::vector<std::string> uplinks;  // vmnic0, vmnic1, ...
  std::vector<LagInfo> lags;
};

/// A virtual switch port on one host (HostSystem.config.network.portgroup[].port[]).
struct PortInfo {
  int64_t port_id = 0;       // the number pktcap-uw --switchport takes
  std::string mac;
  std::string type;          // "virtualMachine", "host", "systemManagement"
  std::string portgroup;
  friend bool operator==(const PortInfo&, const PortInfo&) = default;
};

/// DRS behaviour of one VM (ClusterDrsVmConfigInfo) as read or to be set.
struct DrsVmOverride {
  MoRef vm;
  std::optional<bool> enabled;
  std::string behavior;  // "manual", "partiallyAutomated", "fullyAutomated"
  friend bool operator==(const DrsVmOverride&, const DrsVmOverride&) = default;
};

struct ClusterInfo {
  MoRef ref;
  std::string name;
  bool drs_enabled = false;
  std::string default_behavior;       // cluster default DRS automation level
  bool vm_overrides_enabled = false;  // enableVmBehaviorOverrides
  std::vector<DrsVmOverride> overrides;
  std::vector<MoRef> hosts;           // where DRS, vMotion or HA may move its VMs
};

struct DatastoreInfo {
  MoRef ref;
  std::string name;
  std::string url;          // "ds:///vmfs/volumes/<uuid>/"
  int64_t capacity = 0;
  int64_t free_space = 0;
};

/// ESXi from 6.7 on accepts `pktcap-uw --dir 2` (both directions in one process).
bool supports_dir_both(const std::string& esxi_version);

const char* to_string(PowerState p);

}  // namespace vmc::model
