// Recognises a frame captured twice by overlapping pins (e.g. a VM's port and the
// uplink bridging it during a re-pin): same length and bytes, timestamps within a
// window, seen on a different interface. Frames are offered in time order.
#pragma once

#include <cstdint>
#include <deque>
#include <unordered_map>

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

}  // namespace vmc::capture
