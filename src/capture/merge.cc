#include "capture/merge.h"

#include <algorithm>
#include <memory>
#include <optional>

#include "capture/dedup.h"
#include "capture/reorder_buffer.h"

namespace vmc::capture {
namespace {

// One source and its current head frame.
class Cursor {
 public:
  Cursor(FrameSource* src, const MergeOptions& o, MergeStats& stats)
      : src_(src), stats_(stats) {
    if (o.reorder_window_ns > 0)
      reorder_.emplace(o.reorder_window_ns, o.reorder_max_frames);
  }

  /// Moves to the next frame: true if head() is valid.
  bool advance() {
    if (!reorder_) return read(head_);
    while (!reorder_->ready() && !ended_) {
      FrameView f;
      if (!read(f)) break;
      reorder_->push(f);
    }
    if (reorder_->empty()) return false;
    reorder_->pop(owned_);
    head_ = owned_.view();
    return true;
  }

  const FrameView& head() const { return head_; }
  uint64_t reordered() const { return reorder_ ? reorder_->reordered() : 0; }

 private:
  bool read(FrameView& f) {
    if (ended_) return false;
    auto r = src_->next(f);
    if (r && *r) return true;
    ended_ = true;
    if (!r) stats_.source_errors.push_back(r.error());
    return false;
  }

  FrameSource* src_;
  MergeStats& stats_;
  std::optional<ReorderBuffer> reorder_;
  Frame owned_;
  FrameView head_;
  bool ended_ = false;
};

class Emitter {
 public:
  Emitter(const MergeOptions& o, MergeOutput& out, MergeStats& stats)
      : out_(out), stats_(stats) {
    if (o.dedup_window_ns >= 0) dedup_.emplace(o.dedup_window_ns);
  }
  Status emit(size_t source, const FrameView& f) {
    if (dedup_ && dedup_->is_duplicate(f, static_cast<uint32_t>(source))) {
      ++stats_.duplicates;
      return {};
    }
    ++stats_.frames_out;
    ++stats_.frames_per_source[source];
    return out_.frame(source, f);
  }

 private:
  MergeOutput& out_;
  MergeStats& stats_;
  std::optional<Deduplicator> dedup_;
};

}  // namespace

Result<MergeStats> merge(std::span<FrameSource* const> sources, const MergeOptions& options,
                         MergeOutput& out) {
  MergeStats stats;
  stats.frames_per_source.assign(sources.size(), 0);
  std::vector<std::unique_ptr<Cursor>> cursors;
  cursors.reserve(sources.size());
  for (auto* s : sources) cursors.push_back(std::make_unique<Cursor>(s, options, stats));
  Emitter emitter(options, out, stats);

  if (options.concatenate) {
    for (size_t i = 0; i < cursors.size(); ++i) {
      while (cursors[i]->advance()) {
        if (auto s = emitter.emit(i, cursors[i]->head()); !s) return s.error();
      }
    }
  } else {
    // Min-heap of (head timestamp, source) by value, the earliest on top; on equal
    // timestamps the higher source index comes first (mergecap's rule).
    struct Head {
      int64_t ts;
      size_t src;
    };
    auto later = [](const Head& a, const Head& b) {
      return a.ts != b.ts ? a.ts > b.ts : a.src < b.src;
    };
    std::vector<Head> heap;
    heap.reserve(cursors.size());
    for (size_t i = 0; i < cursors.size(); ++i) {
      if (cursors[i]->advance()) {
        heap.push_back({cursors[i]->head().ts_ns, i});
        std::push_heap(heap.begin(), heap.end(), later);
      }
    }
    while (!heap.empty()) {
      const size_t i = heap.front().src;
      if (auto s = emitter.emit(i, cursors[i]->head()); !s) return s.error();
      if (cursors[i]->advance()) {
        // Replace the top with the source's next frame and sift it down.
        const Head h{cursors[i]->head().ts_ns, i};
        size_t at = 0;
        const size_t n = heap.size();
        for (;;) {
          size_t child = 2 * at + 1;
          if (child >= n) break;
          if (child + 1 < n && later(heap[child], heap[child + 1])) ++child;
          if (!later(h, heap[child])) break;
          heap[at] = heap[child];
          at = child;
        }
        heap[at] = h;
      } else {
        std::pop_heap(heap.begin(), heap.end(), later);
        heap.pop_back();
      }
    }
  }
  for (const auto& c : cursors) stats.reordered += c->reordered();
  return stats;
}

}  // namespace vmc::capture
