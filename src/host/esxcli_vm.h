// Typed views of `esxcli network vm list` and `esxcli network vm port list -w ID`, in
// any shape esxcli_records.h accepts (plain, csv, keyvalue, xml).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "host/esxcli_records.h"
#include "util/result.h"

namespace vmc::host {

/// One row of `esxcli network vm list`.
struct VmWorld {
  int64_t world_id = 0;
  std::string name;  // display name as esxcli prints it (may be truncated or repeated)
  int num_ports = 0;
  std::vector<std::string> networks;
  friend bool operator==(const VmWorld&, const VmWorld&) = default;
};

/// One vNIC block of `esxcli network vm port list -w ID`.
struct VmPort {
  int64_t port_id = 0;         // what pktcap-uw --switchport takes
  std::string vswitch;
  std::string portgroup;
  std::string dvport_id;       // a different number; never used as a port ID
  std::string mac;             // normalised lower case; empty when esxcli printed none
  std::string ip;
  std::string team_uplink;
  std::optional<int64_t> uplink_port_id;
  std::string active_filters;
  friend bool operator==(const VmPort&, const VmPort&) = default;
};

/// Rows need a numeric World ID; Num Ports may be empty (0). Code "esxcli.parse".
Result<std::vector<VmWorld>> parse_vm_list(std::string_view text,
                                           EsxcliFormat format = EsxcliFormat::Auto);

/// Blocks need a numeric Port ID; a MAC that is present must be a MAC. Code "esxcli.parse".
Result<std::vector<VmPort>> parse_vm_port_list(std::string_view text,
                                               EsxcliFormat format = EsxcliFormat::Auto);

}  // namespace vmc::host
