#include "capture/reorder_buffer.h"

#include <algorithm>

namespace vmc::capture {

ReorderBuffer::ReorderBuffer(int64_t window_ns, size_t max_frames)
    : window_ns_(window_ns), max_frames_(std::max<size_t>(max_frames, 1)) {}

void ReorderBuffer::push(const FrameView& f) {
  if (newest_ && f.ts_ns < *newest_) ++reordered_;
  if (!newest_ || f.ts_ns > *newest_) newest_ = f.ts_ns;
  Entry e{f.ts_ns, seq_++, {}};
  if (!spare_.empty()) {
    e.frame = std::move(spare_.back());
    spare_.pop_back();
  }
  e.frame.assign(f);
  heap_.push_back(std::move(e));
  std::push_heap(heap_.begin(), heap_.end(), later);
}

bool ReorderBuffer::ready() const {
  if (heap_.empty()) return false;
  if (heap_.size() >= max_frames_) return true;
  return *newest_ - heap_.front().ts_ns > window_ns_;
}

void ReorderBuffer::pop(Frame& out) {
  std::pop_heap(heap_.begin(), heap_.end(), later);
  if (!out.data.empty() || out.data.capacity() > 0) spare_.push_back(std::move(out));
  out = std::move(heap_.back().frame);
  heap_.pop_back();
}

}  // namespace vmc::capture
