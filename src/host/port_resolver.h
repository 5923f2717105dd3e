// Which switch port does each of a VM's NICs use on its current host? Matched by MAC
// address (case-insensitive), never by display name.
//
// Sources, in order, each consulted only for MACs still unresolved:
//  1. the API's portgroup ports (model::PortInfo, from HostSystem.config.network), when
//     the caller has them;
//  2. `esxcli --formatter=csv network vm list` then
//     `esxcli --formatter=csv network vm port list -w <world>` for each world. Worlds
//     whose name equals `vm_name_hint` are asked first (the name only orders the
//     search; a port is still taken only for a MAC match);
//  3. `net-stats -l`.
// A MAC seen on two different ports in one source is ambiguous and is not resolved
// from that source (reported in `warnings`).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "host/host_connection.h"
#include "model/inventory.h"
#include "util/result.h"

namespace vmc::host {

struct ResolvedPort {
  std::string mac;       // normalised
  int64_t port_id = 0;
  std::string source;    // "api", "esxcli", "net-stats"
  int64_t world_id = 0;  // esxcli only
  friend bool operator==(const ResolvedPort&, const ResolvedPort&) = default;
};

struct PortResolution {
  std::map<std::string, ResolvedPort> ports;  // by normalised MAC
  std::vector<std::string> missing;           // MACs found nowhere (normalised)
  std::vector<std::string> warnings;          // sources that failed, ambiguities
};

/// One port on the host as net-stats/esxcli list it (for "is my port still there?").
struct HostPort {
  int64_t port_id = 0;
  std::string mac;
  std::string client;  // net-stats ClientName, for messages only
};

class PortResolver {
 public:
  /// `timeout` bounds every command; on an SshConnection a command that gets no byte
  /// back in time also marks the connection dead (so a periodic port_present() doubles
  /// as the liveness probe of a stalled connection).
  explicit PortResolver(HostConnection& conn,
                        std::chrono::milliseconds timeout = std::chrono::seconds(30))
      : conn_(conn), timeout_(timeout) {}

  /// Fails only for an invalid MAC in `macs` (code "port.mac"); everything else that
  /// goes wrong is a warning plus the MAC listed in `missing`.
  Result<PortResolution> resolve(const std::vector<std::string>& macs,
                                 const std::vector<model::PortInfo>& api_ports,
                                 const std::string& vm_name_hint = "");

  /// Every port the host lists now (`net-stats -l`; esxcli when that fails).
  Result<std::vector<HostPort>> list_ports();

  /// True when `port_id` is still listed with `mac` (any case). A port that vanished or
  /// now carries another MAC means a pinned pktcap-uw is deaf.
  Result<bool> port_present(int64_t port_id, const std::string& mac);

 private:
  Result<std::vector<HostPort>> esxcli_ports(const std::string& vm_name_hint,
                                             const std::vector<std::string>& wanted,
                                             std::vector<std::string>& warnings);
  Result<std::vector<HostPort>> netstats_ports();

  HostConnection& conn_;
  std::chrono::milliseconds timeout_;
};

}  // namespace vmc::host
