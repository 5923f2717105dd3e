// Streaming k-way merge of frame sources by timestamp. Memory is one head frame per
// source (plus each source's reorder window when one is set), whatever the length of
// the inputs. Equal timestamps are broken the way mergecap breaks them (the source
// listed last goes first), so outputs are frame-for-frame equal to mergecap's.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "capture/frame_source.h"
#include "util/result.h"

namespace vmc::capture {

struct MergeOptions {
  bool concatenate = false;       // mergecap -a: sources one after another
  int64_t reorder_window_ns = 0;  // tolerate frames this much out of order per source
  size_t reorder_max_frames = 65536;
  int64_t dedup_window_ns = -1;   // < 0: keep duplicates; else drop copies within it
};

struct MergeStats {
  uint64_t frames_out = 0;
  uint64_t duplicates = 0;   // frames dropped as copies seen on another source
  uint64_t reordered = 0;    // frames that arrived out of order and were put back
  std::vector<uint64_t> frames_per_source;
  /// Sources that stopped early (corrupt or truncated): the frames before were merged.
  std::vector<Error> source_errors;
};

/// Receives merged frames. An Error stops the merge.
class MergeOutput {
 public:
  virtual ~MergeOutput() = default;
  virtual Status frame(size_t source, const FrameView& f) = 0;
};

/// Merges `sources` into `out`. A source that fails mid-way is recorded in
/// `source_errors` and the merge goes on with the others; an Error is returned only
/// when the output fails.
Result<MergeStats> merge(std::span<FrameSource* const> sources, const MergeOptions& options,
                         MergeOutput& out);

}  // namespace vmc::capture
