#include "capture/pcap_stream_reader.h"

#include <fmt/format.h>

namespace vmc::capture {

PcapStreamReader::PcapStreamReader(std::string source) : source_(std::move(source)) {}

void PcapStreamReader::push(std::span<const uint8_t> bytes) {
  if (error_ || bytes.empty()) return;
  // Drop what was consumed before growing, so the buffer stays about one record long.
  if (pos_ > 0 && (pos_ == buf_.size() || pos_ >= 65536)) {
    buf_.erase(buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(pos_));
    pos_ = 0;
  }
  buf_.insert(buf_.end(), bytes.begin(), bytes.end());
}

Result<std::optional<FrameView>> PcapStreamReader::next() {
  if (error_) return *error_;
  if (!header_) {
    if (available() < kPcapHeaderSize) return std::optional<FrameView>{};
    auto h = parse_pcap_header(
        std::span<const uint8_t, kPcapHeaderSize>(buf_.data() + pos_, kPcapHeaderSize), source_);
    if (!h) {
      error_ = h.error();
      return *error_;
    }
    header_ = *h;
    pos_ += kPcapHeaderSize;
    offset_ += kPcapHeaderSize;
  }
  if (!pending_) {
    if (available() < kPcapRecordHeaderSize) return std::optional<FrameView>{};
    auto r = parse_pcap_record(
        *header_,
        std::span<const uint8_t, kPcapRecordHeaderSize>(buf_.data() + pos_, kPcapRecordHeaderSize),
        source_, offset_);
    if (!r) {
      error_ = r.error();
      return *error_;
    }
    pending_ = *r;
  }
  if (available() < kPcapRecordHeaderSize + pending_->caplen) return std::optional<FrameView>{};
  FrameView f;
  f.ts_ns = pending_->ts_ns;
  f.orig_len = pending_->orig_len;
  f.data = std::span<const uint8_t>(buf_.data() + pos_ + kPcapRecordHeaderSize, pending_->caplen);
  const size_t used = kPcapRecordHeaderSize + pending_->caplen;
  pos_ += used;
  offset_ += used;
  ++frames_;
  pending_.reset();
  return std::optional<FrameView>(f);
}

Status PcapStreamReader::finish() const {
  if (error_) return *error_;
  if (!header_) {
    return Error("capture.truncated",
                 fmt::format("{}: stream ended after {} bytes, inside the 24-byte pcap header; "
                             "the capture command produced no packets (see its error output)",
                             source_, available()));
  }
  if (available() > 0) {
    return Error("capture.truncated",
                 fmt::format("{}: stream truncated at byte offset {}: {} bytes of an "
                             "incomplete record after {} complete frames",
                             source_, offset_, available(), frames_));
  }
  return {};
}

}  // namespace vmc::capture
