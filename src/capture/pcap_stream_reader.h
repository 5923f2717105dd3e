// Incremental reader of one classic pcap byte stream (`pktcap-uw -o -` over an SSH
// channel): push bytes as they arrive, pop complete frames. Both byte orders, micro- and
// nanosecond magic. A corrupt stream is an Error naming the source and the byte offset;
// every frame before the corruption has been delivered.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "capture/frame.h"
#include "capture/pcap_format.h"
#include "util/result.h"

namespace vmc::capture {

class PcapStreamReader {
 public:
  /// `source` names the stream in errors, e.g. "esx01:33554442:in".
  explicit PcapStreamReader(std::string source);

  /// Appends bytes received from the stream. Invalidates the last frame returned.
  void push(std::span<const uint8_t> bytes);

  /// The next complete frame (its bytes valid until the next push() or next()),
  /// std::nullopt when more bytes are needed, or the Error that stopped the stream
  /// (returned again on every later call).
  Result<std::optional<FrameView>> next();

  /// Declares the end of the stream: an Error if it ended inside the global header or
  /// a record (a truncated stream), or if next() found it corrupt.
  Status finish() const;

  /// The global header once its 24 bytes have arrived.
  const std::optional<PcapHeader>& header() const { return header_; }
  const std::string& source() const { return source_; }
  /// Bytes of the stream consumed so far (the offset of the next record).
  uint64_t offset() const { return offset_; }
  uint64_t frames() const { return frames_; }

 private:
  size_t available() const { return buf_.size() - pos_; }

  std::string source_;
  std::vector<uint8_t> buf_;
  size_t pos_ = 0;
  uint64_t offset_ = 0;
  uint64_t frames_ = 0;
  std::optional<PcapHeader> header_;
  std::optional<PcapRecordHeader> pending_;  // parsed header of a record still arriving
  std::optional<Error> error_;
};

}  // namespace vmc::capture
