#include "capture/pcapng_writer.h"

#include <algorithm>
#include <cstring>

namespace vmc::capture {
namespace {

constexpr uint32_t kShb = 0x0A0D0D0A;
constexpr uint32_t kIdb = 0x00000001;
constexpr uint32_t kIsb = 0x00000005;
constexpr uint32_t kEpb = 0x00000006;
constexpr uint32_t kByteOrderMagic = 0x1A2B3C4D;

constexpr uint16_t kOptEnd = 0;
constexpr uint16_t kOptComment = 1;
constexpr uint16_t kShbHardware = 2;
constexpr uint16_t kShbOs = 3;
constexpr uint16_t kShbUserAppl = 4;
constexpr uint16_t kIfName = 2;
constexpr uint16_t kIfDescription = 3;
constexpr uint16_t kIfTsresol = 9;
constexpr uint16_t kEpbFlags = 2;
constexpr uint16_t kIsbStartTime = 2;
constexpr uint16_t kIsbEndTime = 3;
constexpr uint16_t kIsbIfRecv = 4;
constexpr uint16_t kIsbIfDrop = 5;

constexpr size_t pad4(size_t n) { return (n + 3) & ~size_t{3}; }
constexpr size_t option_size(size_t n) { return 4 + pad4(n); }

// pcapng option values are at most 65535 bytes; longer text is cut.
std::string_view clip(std::string_view s) { return s.substr(0, std::min<size_t>(s.size(), 65000)); }

}  // namespace

PcapngWriter::PcapngWriter(ByteSink& sink, size_t buffer_bytes)
    : sink_(sink), buf_(std::max<size_t>(buffer_bytes, 4096)) {}

Status PcapngWriter::reserve(size_t n) {
  if (len_ + n <= buf_.size()) return {};
  if (auto s = flush(); !s) return s;
  if (n > buf_.size()) buf_.resize(n);
  return {};
}

Status PcapngWriter::flush() {
  if (len_ == 0) return {};
  const size_t capacity = buf_.size();
  auto s = sink_.write_buffer(buf_, len_);
  if (buf_.size() < capacity) buf_.resize(capacity);
  total_ += len_;
  len_ = 0;
  return s;
}

void PcapngWriter::put32(uint32_t v) {
  std::memcpy(buf_.data() + len_, &v, 4);
  len_ += 4;
}

void PcapngWriter::put16(uint16_t v) {
  std::memcpy(buf_.data() + len_, &v, 2);
  len_ += 2;
}

void PcapngWriter::put_bytes(const void* p, size_t n) {
  if (n) std::memcpy(buf_.data() + len_, p, n);
  len_ += n;
}

void PcapngWriter::pad() {
  while (len_ % 4) buf_[len_++] = 0;
}

void PcapngWriter::put_option(uint16_t code, const void* value, size_t n) {
  put16(code);
  put16(static_cast<uint16_t>(n));
  put_bytes(value, n);
  pad();
}

Status PcapngWriter::begin_section(const SectionInfo& info) {
  size_t opts = 0;
  auto text = [&](std::string_view s) { return s.empty() ? 0 : option_size(clip(s).size()); };
  opts += text(info.user_appl) + text(info.hardware) + text(info.os);
  for (const auto& c : info.comments) opts += text(c);
  if (opts) opts += 4;
  const size_t total = 28 + opts;
  if (auto s = reserve(total); !s) return s;
  put32(kShb);
  put32(static_cast<uint32_t>(total));
  put32(kByteOrderMagic);
  put16(1);
  put16(0);
  put32(0xffffffff);  // section length unknown
  put32(0xffffffff);
  for (const auto& c : info.comments)
    if (!c.empty()) put_option(kOptComment, clip(c));
  if (!info.hardware.empty()) put_option(kShbHardware, clip(info.hardware));
  if (!info.os.empty()) put_option(kShbOs, clip(info.os));
  if (!info.user_appl.empty()) put_option(kShbUserAppl, clip(info.user_appl));
  if (opts) put32(kOptEnd);
  put32(static_cast<uint32_t>(total));
  interfaces_ = 0;
  in_section_ = true;
  return {};
}

Result<uint32_t> PcapngWriter::add_interface(const InterfaceInfo& info) {
  if (!in_section_) {
    if (auto s = begin_section(SectionInfo{}); !s) return s.error();
  }
  size_t opts = option_size(1) + 4;
  if (!info.name.empty()) opts += option_size(clip(info.name).size());
  if (!info.description.empty()) opts += option_size(clip(info.description).size());
  const size_t total = 20 + opts;
  if (auto s = reserve(total); !s) return s.error();
  put32(kIdb);
  put32(static_cast<uint32_t>(total));
  put16(info.linktype);
  put16(0);
  put32(info.snaplen);
  if (!info.name.empty()) put_option(kIfName, clip(info.name));
  if (!info.description.empty()) put_option(kIfDescription, clip(info.description));
  const uint8_t nanoseconds = 9;
  put_option(kIfTsresol, &nanoseconds, 1);
  put32(kOptEnd);
  put32(static_cast<uint32_t>(total));
  return interfaces_++;
}

Status PcapngWriter::write(uint32_t interface, int64_t ts_ns, uint32_t orig_len,
                           std::span<const uint8_t> data, uint32_t flags,
                           std::span<const std::string> comments) {
  const size_t caplen = data.size();
  size_t opts = 0;
  if (flags) opts += option_size(4);
  for (const auto& c : comments) opts += option_size(clip(c).size());
  if (opts) opts += 4;
  const size_t total = 32 + pad4(caplen) + opts;
  if (len_ + total > buf_.size()) {
    if (auto s = reserve(total); !s) return s;
  }
  const auto ts = static_cast<uint64_t>(ts_ns);
  uint32_t head[7] = {kEpb,
                      static_cast<uint32_t>(total),
                      interface,
                      static_cast<uint32_t>(ts >> 32),
                      static_cast<uint32_t>(ts),
                      static_cast<uint32_t>(caplen),
                      orig_len};
  uint8_t* p = buf_.data() + len_;
  std::memcpy(p, head, sizeof head);
  if (caplen) std::memcpy(p + 28, data.data(), caplen);
  len_ += 28 + caplen;
  pad();
  if (opts) {
    if (flags) put_option(kEpbFlags, &flags, 4);
    for (const auto& c : comments) put_option(kOptComment, clip(c));
    put32(kOptEnd);
  }
  put32(static_cast<uint32_t>(total));
  return {};
}

Status PcapngWriter::write_stats(uint32_t interface, int64_t ts_ns, const InterfaceStats& st) {
  size_t opts = 4;
  for (bool set : {st.start_ns.has_value(), st.end_ns.has_value(), st.received.has_value(),
                   st.dropped.has_value()})
    if (set) opts += option_size(8);
  if (!st.comment.empty()) opts += option_size(clip(st.comment).size());
  const size_t total = 24 + opts;
  if (auto s = reserve(total); !s) return s;
  auto split = [](int64_t v) {
    const auto u = static_cast<uint64_t>(v);
    uint32_t two[2] = {static_cast<uint32_t>(u >> 32), static_cast<uint32_t>(u)};
    return std::to_array(two);
  };
  put32(kIsb);
  put32(static_cast<uint32_t>(total));
  put32(interface);
  const auto now = split(ts_ns);
  put32(now[0]);
  put32(now[1]);
  if (!st.comment.empty()) put_option(kOptComment, clip(st.comment));
  if (st.start_ns) {
    const auto start = split(*st.start_ns);
    put_option(kIsbStartTime, start.data(), 8);
  }
  if (st.end_ns) {
    const auto end = split(*st.end_ns);
    put_option(kIsbEndTime, end.data(), 8);
  }
  if (st.received) put_option(kIsbIfRecv, &*st.received, 8);
  if (st.dropped) put_option(kIsbIfDrop, &*st.dropped, 8);
  put32(kOptEnd);
  put32(static_cast<uint32_t>(total));
  return {};
}

}  // namespace vmc::capture
