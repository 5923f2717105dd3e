// Frames as they travel from the readers through the merge to the writer.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace vmc::capture {

/// A frame whose bytes belong to someone else (a reader's buffer): valid until the
/// next call on the object that produced it. Timestamps are nanoseconds since the
/// Unix epoch (UTC); `data.size()` is the captured length.
struct FrameView {
  int64_t ts_ns = 0;
  uint32_t orig_len = 0;
  std::span<const uint8_t> data;
};

/// A frame that owns its bytes.
struct Frame {
  int64_t ts_ns = 0;
  uint32_t orig_len = 0;
  std::vector<uint8_t> data;

  FrameView view() const { return FrameView{ts_ns, orig_len, data}; }
  void assign(const FrameView& v) {
    ts_ns = v.ts_ns;
    orig_len = v.orig_len;
    data.assign(v.data.begin(), v.data.end());
  }
};

/// pcapng epb_flags direction bits (bits 0-1).
inline constexpr uint32_t kFlagInbound = 1;
inline constexpr uint32_t kFlagOutbound = 2;

}  // namespace vmc::capture
