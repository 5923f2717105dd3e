// HostSystem.config.network.portgroup[].port[].key -> the ESXi port number.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace vmc::host {

/// "key-vim.host.PortGroup.Port-33554436" -> 33554436. Anything else (a DVPort key,
/// an empty or overflowing number) -> nullopt.
std::optional<int64_t> port_id_from_key(std::string_view key);

}  // namespace vmc::host
