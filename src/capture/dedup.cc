#include "capture/dedup.h"

#include <cstring>

namespace vmc::capture {

uint64_t Deduplicator::hash(const FrameView& f) {
  // FNV-1a over 8-byte words, then the tail; mixed with the original length.
  uint64_t h = 0xcbf29ce484222325ull ^ f.orig_len;
  const uint8_t* p = f.data.data();
  size_t n = f.data.size();
  while (n >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    h = (h ^ w) * 0x100000001b3ull;
    h ^= h >> 29;
    p += 8;
    n -= 8;
  }
  while (n--) h = (h ^ *p++) * 0x100000001b3ull;
  h ^= f.data.size();
  h *= 0xff51afd7ed558ccdull;
  return h ^ (h >> 33);
}

bool Deduplicator::is_duplicate(const FrameView& f, uint32_t interface) {
  while (!order_.empty() && f.ts_ns - order_.front().first > window_ns_) {
    auto it = seen_.find(order_.front().second);
    if (it != seen_.end() && it->second.ts_ns == order_.front().first) seen_.erase(it);
    order_.pop_front();
  }
  const uint64_t h = hash(f);
  auto it = seen_.find(h);
  if (it != seen_.end() && it->second.interface != interface &&
      f.ts_ns - it->second.ts_ns <= window_ns_) {
    ++duplicates_;
    return true;
  }
  seen_[h] = Seen{f.ts_ns, interface};
  order_.emplace_back(f.ts_ns, h);
  return false;
}

uint64_t OverlapDeduplicator::key(const FrameView& f) {
  return Deduplicator::hash(f) ^ (static_cast<uint64_t>(f.ts_ns) * 0x9e3779b97f4a7c15ULL);
}

bool OverlapDeduplicator::repeats(const FrameView& f) {
  if (seen_.empty()) return false;
  auto it = seen_.find(key(f));
  if (it == seen_.end()) return false;
  seen_.erase(it);
  ++repeated_;
  return true;
}

}  // namespace vmc::capture
