// The one place frames captured twice are recognised. Deduplicator: by overlapping pins
// (e.g. a VM's port and the uplink bridging it during a re-pin): same length and bytes,
// timestamps within a window, seen on a different interface; frames are offered in time
// order. OverlapDeduplicator: by two captures of one pin that ran at the same time and
// whose files come home one after the other (on-host output).
#pragma once

#include <cstdint>
#include <deque>
#include <unordered_map>
#include <unordered_set>

#include "capture/frame.h"

namespace vmc::capture {

class Deduplicator {
 public:
  explicit Deduplicator(int64_t window_ns) : window_ns_(window_ns) {}

  /// True if `f`, seen on `interface`, repeats a frame of another interface within
  /// the window (the caller drops it); false records it as seen.
  bool is_duplicate(const FrameView& f, uint32_t interface);
  uint64_t duplicates() const { return duplicates_; }

  static uint64_t hash(const FrameView& f);

 private:
  struct Seen {
    int64_t ts_ns;
    uint32_t interface;
  };
  int64_t window_ns_;
  std::unordered_map<uint64_t, Seen> seen_;
  std::deque<std::pair<int64_t, uint64_t>> order_;  // (ts, hash), oldest first
  uint64_t duplicates_ = 0;
};

/// Frames two captures of one pin both recorded while they overlapped (a capture cut off
/// with its connection goes on writing on its host until the pin's next capture runs, so
/// both files hold the frames of that time). The earlier file is read first: each frame
/// it delivers from the later capture's start on is remembered, and the later file's
/// copy of it is dropped. Exact copies only: the same time stamp and bytes.
class OverlapDeduplicator {
 public:
  /// The earlier capture delivered `f`.
  void delivered(const FrameView& f) { seen_.insert(key(f)); }
  /// True when the later capture's `f` was delivered already (then it is forgotten, so
  /// that a second, real frame of the same time and bytes is kept).
  bool repeats(const FrameView& f);
  /// How many repeats were found.
  uint64_t repeated() const { return repeated_; }
  bool empty() const { return seen_.empty(); }
  void clear() { seen_.clear(); }

 private:
  static uint64_t key(const FrameView& f);
  std::unordered_multiset<uint64_t> seen_;
  uint64_t repeated_ = 0;
};

}  // namespace vmc::capture
