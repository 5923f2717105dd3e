// `capture merge`: users' pcap/pcapng files in, one pcapng out (a file written
// atomically with mode 0600, or standard output for "-"), each input becoming one
// interface named after it.
#pragma once

#include <string>
#include <vector>

#include "capture/merge.h"
#include "util/result.h"

namespace vmc::capture {

struct MergeFilesOptions {
  std::vector<std::string> inputs;  // "-" = standard input (at most once)
  std::string output;               // "-" = standard output
  MergeOptions merge;
  uint32_t snaplen = 0;             // cut frames to this many bytes; 0 = keep whole
  std::string user_appl;            // shb_userappl; default "vm-capture <version>"
};

struct MergeFilesReport {
  MergeStats stats;
  uint64_t bytes_written = 0;
};

/// Opens every input first (an unreadable input is an Error before anything is
/// written), then merges. A corrupt input mid-way keeps its frames before the damage
/// and is listed in stats.source_errors; the output is still completed.
Result<MergeFilesReport> merge_files(const MergeFilesOptions& options);

}  // namespace vmc::capture
