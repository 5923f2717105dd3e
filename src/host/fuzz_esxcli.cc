// libFuzzer: the esxcli parsers on arbitrary text, in every format (first byte picks it).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "host/esxcli_vm.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  auto format = static_cast<vmc::host::EsxcliFormat>(data[0] % 6);
  std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  auto vms = vmc::host::parse_vm_list(text, format);
  if (vms) {
    for (const auto& w : *vms) {
      if (w.world_id <= 0) __builtin_trap();  // the parser promises positive ids
    }
  }
  auto ports = vmc::host::parse_vm_port_list(text, format);
  if (ports) {
    for (const auto& p : *ports) {
      if (p.port_id <= 0) __builtin_trap();
      if (!p.mac.empty() && p.mac.size() != 17) __builtin_trap();
    }
  }
  (void)vmc::host::split_esxcli_list(text);
  return 0;
}
