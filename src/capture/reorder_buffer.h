// Puts slightly out-of-order frames of one stream back in time order: holds frames
// until the stream has moved `window_ns` past them (or the buffer holds `max_frames`),
// then releases the oldest. Equal timestamps keep their arrival order.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "capture/frame.h"

namespace vmc::capture {

class ReorderBuffer {
 public:
  ReorderBuffer(int64_t window_ns, size_t max_frames);

  void push(const FrameView& f);
  /// True when the oldest frame can be released: nothing older can still arrive
  /// within the window (or the buffer is full).
  bool ready() const;
  bool empty() const { return heap_.empty(); }
  size_t size() const { return heap_.size(); }
  /// Moves the oldest frame into `out`. Requires !empty().
  void pop(Frame& out);

  /// Frames that arrived with a timestamp older than one seen before them.
  uint64_t reordered() const { return reordered_; }

 private:
  struct Entry {
    int64_t ts_ns;
    uint64_t seq;
    Frame frame;
  };
  static bool later(const Entry& a, const Entry& b) {
    return a.ts_ns != b.ts_ns ? a.ts_ns > b.ts_ns : a.seq > b.seq;
  }

  int64_t window_ns_;
  size_t max_frames_;
  std::vector<Entry> heap_;
  std::vector<Frame> spare_;  // recycled frames, to keep their allocations
  uint64_t seq_ = 0;
  std::optional<int64_t> newest_;
  uint64_t reordered_ = 0;
};

}  // namespace vmc::capture
