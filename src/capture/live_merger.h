// The merge of a running session: frames are pushed as they arrive from each pin's
// stream, and released in time order once nothing older can still come. A frame is
// released when every open stream has moved `window_ns` past it, or when it is older
// than `max_delay_ns` of wall-clock time (a quiet pin must not hold the others back),
// or when more than `max_frames` are held (bounded memory).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "capture/dedup.h"
#include "capture/frame.h"
#include "capture/merge.h"
#include "util/result.h"

namespace vmc::capture {

struct LiveMergeOptions {
  int64_t window_ns = 50'000'000;      // tolerate 50 ms of disorder between streams
  int64_t max_delay_ns = 2'000'000'000;  // hold a frame at most 2 s (wall clock)
  size_t max_frames = 200'000;
  int64_t dedup_window_ns = 1'000'000;   // < 0: keep copies
};

class LiveMerger {
 public:
  explicit LiveMerger(LiveMergeOptions o);

  /// A new stream (pin); ids are dense from 0 and given to the output as `source`.
  uint32_t add_stream();
  /// A frame of `stream`; `now_ns` is the wall clock when it arrived.
  void push(uint32_t stream, const FrameView& f, int64_t now_ns);
  /// No more frames will come on `stream`.
  void end_stream(uint32_t stream);
  /// Releases every frame that is safe to release at wall-clock `now_ns`.
  Status release(int64_t now_ns, MergeOutput& out);
  /// Releases everything (end of session).
  Status release_all(MergeOutput& out);

  size_t held() const { return heap_.size(); }
  uint64_t duplicates() const { return dedup_ ? dedup_->duplicates() : 0; }
  uint64_t late() const { return late_; }
  uint64_t released() const { return released_; }

 private:
  struct Held {
    int64_t ts_ns;
    int64_t arrived_ns;
    uint64_t seq;
    uint32_t stream;
    Frame frame;
  };
  static bool later(const Held& a, const Held& b) {
    return a.ts_ns != b.ts_ns ? a.ts_ns > b.ts_ns : a.seq > b.seq;
  }
  Status pop_one(MergeOutput& out);

  LiveMergeOptions o_;
  struct Stream {
    std::optional<int64_t> newest;
    bool open = true;
  };
  std::vector<Stream> streams_;
  std::vector<Held> heap_;
  std::vector<Frame> spare_;
  std::optional<Deduplicator> dedup_;
  std::optional<int64_t> last_released_;
  uint64_t seq_ = 0;
  uint64_t late_ = 0;
  uint64_t released_ = 0;
};

}  // namespace vmc::capture
