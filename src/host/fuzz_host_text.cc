// libFuzzer: net-stats -l, vdf, ps, vmware -vl and port-key parsers on arbitrary text.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "host/esxi_version.h"
#include "host/netstats.h"
#include "host/port_key.h"
#include "host/ps.h"
#include "host/vdf.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto ns = vmc::host::parse_net_stats_list(text);
  if (ns) {
    for (const auto& p : *ns) {
      if (p.port_id <= 0) __builtin_trap();
    }
  }
  auto vdf = vmc::host::parse_vdf(text);
  if (vdf) {
    for (const auto& u : *vdf) {
      if (u.size < 0 || u.used < 0 || u.avail < 0 || u.use_percent < 0 || u.use_percent > 100) __builtin_trap();
    }
    (void)vmc::host::usage_for_path(*vdf, "/vmfs/volumes/datastore1/x");
    (void)vmc::host::usage_for_path(*vdf, "/tmp/x");
  }
  auto ps = vmc::host::parse_ps(text);
  if (ps) {
    (void)vmc::host::find_process(*ps, 1234);
    for (const auto& r : *ps) (void)vmc::host::is_pktcap(r);
  }
  (void)vmc::host::parse_vmware_vl(text);
  auto key = vmc::host::port_id_from_key(text);
  if (key && *key <= 0) __builtin_trap();
  return 0;
}
