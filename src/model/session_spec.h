// What one capture session should do, fully validated and with every default filled.
// plan/ builds it from a YAML plan (+ policies/) or from `capture vm` flags; the
// orchestrator only reads it.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace vmc::model {

enum class Direction { In, Out, Both };
const char* to_string(Direction d);

/// A VM to follow. `vm` is a name, inventory path ("/dc1/vm/folder/x"), managed object
/// id ("vm-42") or a NIC MAC. `nics` selects NICs by label or MAC; empty = all NICs.
struct VmTarget {
  std::string vm;
  std::vector<std::string> nics;
};

/// Uplinks of one host: explicit vmnics, or every member of a LAG/team.
struct UplinkTarget {
  std::string host;
  std::vector<std::string> uplinks;
  std::string lag;
};

/// pktcap-uw filters; unset fields are not passed. `rcf` is a pcap expression
/// (vSphere 7+ `--rcf`).
struct Filter {
  std::optional<std::string> mac, srcmac, dstmac, ip, srcip, dstip, rcf;
  std::optional<int> vlan, proto, srcport, dstport, tcpport, ethtype;
  bool empty() const {
    return !mac && !srcmac && !dstmac && !ip && !srcip && !dstip && !rcf && !vlan && !proto &&
           !srcport && !dstport && !tcpport && !ethtype;
  }
};

struct StopConditions {
  std::optional<std::chrono::milliseconds> duration;
  std::optional<uint64_t> packets;
  std::optional<uint64_t> bytes;
  std::optional<int> boots;  // stop after this many boots (power-on/reset) of the VM(s)
};

struct Rotation {
  std::optional<uint64_t> max_bytes;
  std::optional<std::chrono::milliseconds> max_age;
  std::optional<uint64_t> max_packets;
  int ring = 0;  // keep at most N files (0 = keep all)
  bool enabled() const { return max_bytes || max_age || max_packets; }
};

struct OutputSpec {
  std::string path;         // "-" = stdout; default "<vm>-<time>.pcapng"
  Rotation rotation;
  int snaplen = 0;          // 0 = whole frame
  bool on_host = false;     // write on the host's datastore, fetch at the end
  std::string datastore;    // for on_host: datastore name or /vmfs/volumes/... path
  bool force_tmp = false;   // allow /tmp (ramdisk) for on_host output
};

struct DrsPolicy {
  bool enabled = true;            // set a temporary override for the session
  std::string behavior = "manual";
};

struct BridgePolicy {
  bool enabled = true;  // cover port changes with a MAC-filtered uplink capture
};

struct SessionSpec {
  std::string name;               // plan name or "vm <NAME>"
  std::string source;             // plan file path or "command line"
  std::string policy;             // policy name the plan used
  std::vector<VmTarget> vms;
  std::vector<UplinkTarget> uplinks;
  Direction direction = Direction::Both;
  std::string capture_point;      // optional pktcap-uw --capture point
  std::optional<int> stage;       // optional --stage 0|1
  Filter filter;
  StopConditions stop;
  OutputSpec output;
  DrsPolicy drs;
  BridgePolicy bridge;
};

}  // namespace vmc::model
