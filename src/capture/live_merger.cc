#include "capture/live_merger.h"

#include <algorithm>
#include <limits>

namespace vmc::capture {

LiveMerger::LiveMerger(LiveMergeOptions o) : o_(o) {
  if (o_.dedup_window_ns >= 0) dedup_.emplace(o_.dedup_window_ns);
}

uint32_t LiveMerger::add_stream() {
  streams_.push_back({});
  return static_cast<uint32_t>(streams_.size() - 1);
}

void LiveMerger::push(uint32_t stream, const FrameView& f, int64_t now_ns) {
  auto& s = streams_.at(stream);
  if (!s.newest || f.ts_ns > *s.newest) s.newest = f.ts_ns;
  // Older than what was already written: it still goes out (next), never dropped.
  if (last_released_ && f.ts_ns < *last_released_) ++late_;
  Held h{f.ts_ns, now_ns, seq_++, stream, {}};
  if (!spare_.empty()) {
    h.frame = std::move(spare_.back());
    spare_.pop_back();
  }
  h.frame.assign(f);
  heap_.push_back(std::move(h));
  std::push_heap(heap_.begin(), heap_.end(), later);
}

void LiveMerger::end_stream(uint32_t stream) { streams_.at(stream).open = false; }

Status LiveMerger::pop_one(MergeOutput& out) {
  std::pop_heap(heap_.begin(), heap_.end(), later);
  Held h = std::move(heap_.back());
  heap_.pop_back();
  Status s;
  if (!dedup_ || !dedup_->is_duplicate(h.frame.view(), h.stream)) {
    ++released_;
    s = out.frame(h.stream, h.frame.view());
  }
  if (!last_released_ || h.ts_ns > *last_released_) last_released_ = h.ts_ns;
  spare_.push_back(std::move(h.frame));
  return s;
}

Status LiveMerger::release(int64_t now_ns, MergeOutput& out) {
  // Every open stream has reached `horizon`; frames older than horizon - window are safe.
  int64_t horizon = std::numeric_limits<int64_t>::max();
  for (const auto& s : streams_) {
    if (!s.open) continue;
    horizon = s.newest ? std::min(horizon, *s.newest) : std::numeric_limits<int64_t>::min();
  }
  while (!heap_.empty()) {
    const Held& top = heap_.front();
    const bool safe = horizon != std::numeric_limits<int64_t>::min() &&
                      top.ts_ns <= horizon - o_.window_ns;
    const bool overdue = now_ns - top.arrived_ns >= o_.max_delay_ns;
    if (!(safe || overdue || heap_.size() > o_.max_frames)) break;
    if (auto s = pop_one(out); !s) return s;
  }
  return {};
}

Status LiveMerger::release_all(MergeOutput& out) {
  while (!heap_.empty()) {
    if (auto s = pop_one(out); !s) return s;
  }
  return {};
}

}  // namespace vmc::capture
