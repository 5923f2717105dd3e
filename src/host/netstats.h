// `net-stats -l`: every switch port on the host.
//
// Accepted: an optional header line starting with "PortNum", then rows
//   PortNum Type SubType SwitchName MACAddress ClientName
// separated by spaces or tabs. ClientName is the rest of the line (it may contain
// spaces, may be truncated, may be empty). A row whose fifth field is not a MAC is read
// as having no MAC (the rest is the client name). Blank lines are ignored.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.h"

namespace vmc::host {

struct NetStatsPort {
  int64_t port_id = 0;
  int type = 0;       // 5 = VM vNIC, 3 = vmknic, 4 = uplink (observed values)
  int subtype = 0;    // 9 for VM vNICs
  std::string switch_name;
  std::string mac;    // normalised lower case, or empty
  std::string client_name;  // "testvm1.eth0", "vmk0", "vmnic0"
  friend bool operator==(const NetStatsPort&, const NetStatsPort&) = default;
};

/// Code "netstats.parse" with the line number when a row is malformed.
Result<std::vector<NetStatsPort>> parse_net_stats_list(std::string_view text);

}  // namespace vmc::host
