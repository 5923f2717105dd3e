// `vdf -h` (and plain `vdf`): free space of datastores and of the ESXi ramdisks.
//
// Accepted: a "Filesystem ... Mounted on" section with rows
//   <fs> <size> <used> <avail> <use%> <mount>
// (a row may be split after a long <fs> name, df style), and a "Ramdisk ... Mounted on"
// section with rows
//   <name> <size> <used> <avail> <use%> <mount or -->
// in either order, separated by a line of dashes. Sizes are human units (1.7T, 600G,
// 12K, 0B, 1024-based) or, when the header says "1K-blocks", counts of KiB; a bare
// number elsewhere is bytes. Human sizes are rounded, so byte figures are approximate.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.h"

namespace vmc::host {

struct FsUsage {
  std::string name;        // "VMFS-6" for a filesystem, "tmp" for a ramdisk
  int64_t size = 0;        // bytes
  int64_t used = 0;
  int64_t avail = 0;
  int use_percent = 0;
  std::string mount;       // "/vmfs/volumes/datastore1"; "--" for most ramdisks
  bool ramdisk = false;
  friend bool operator==(const FsUsage&, const FsUsage&) = default;
};

/// Code "vdf.parse".
Result<std::vector<FsUsage>> parse_vdf(std::string_view text);

/// "12K" -> 12288, "1.5G", "0B", "7" (bytes). nullopt for anything else.
std::optional<int64_t> parse_human_size(std::string_view s);

/// The entry holding `path`: the longest mount that is a path prefix of it; paths
/// under /tmp map to the "tmp" ramdisk, /var/log... are not guessed.
std::optional<FsUsage> usage_for_path(const std::vector<FsUsage>& all, std::string_view path);

}  // namespace vmc::host
