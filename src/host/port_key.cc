#include "host/port_key.h"

#include "host/text.h"

namespace vmc::host {

std::optional<int64_t> port_id_from_key(std::string_view key) {
  constexpr std::string_view kPrefix = "key-vim.host.PortGroup.Port-";
  if (key.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  std::string_view num = key.substr(kPrefix.size());
  if (num.empty() || num[0] == '-') return std::nullopt;
  auto v = parse_int(num);
  if (!v || *v <= 0) return std::nullopt;
  return v;
}

}  // namespace vmc::host
