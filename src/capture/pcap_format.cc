#include "capture/pcap_format.h"

#include <fmt/format.h>

namespace vmc::capture {
namespace {

uint32_t load32(const uint8_t* p, bool swapped) {
  uint32_t le = uint32_t{p[0]} | (uint32_t{p[1]} << 8) | (uint32_t{p[2]} << 16) |
                (uint32_t{p[3]} << 24);
  // The file's byte order is the writer's: "swapped" means big-endian here.
  return swapped ? __builtin_bswap32(le) : le;
}

uint16_t load16(const uint8_t* p, bool swapped) {
  auto le = static_cast<uint16_t>(p[0] | (p[1] << 8));
  return swapped ? __builtin_bswap16(le) : le;
}

void store32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v);
  p[1] = static_cast<uint8_t>(v >> 8);
  p[2] = static_cast<uint8_t>(v >> 16);
  p[3] = static_cast<uint8_t>(v >> 24);
}

}  // namespace

Result<PcapHeader> parse_pcap_header(std::span<const uint8_t, kPcapHeaderSize> b,
                                     const std::string& source) {
  PcapHeader h;
  const uint32_t magic = load32(b.data(), false);
  if (magic == kPcapMagicMicro) {
  } else if (magic == kPcapMagicNano) {
    h.nanos = true;
  } else if (magic == __builtin_bswap32(kPcapMagicMicro)) {
    h.swapped = true;
  } else if (magic == __builtin_bswap32(kPcapMagicNano)) {
    h.swapped = true;
    h.nanos = true;
  } else if (magic == 0x0a0d0d0a) {
    return Error("capture.format",
                 source + ": is pcapng, not pcap (block type 0x0a0d0d0a at byte offset 0); a "
                          "stream must be classic pcap (pktcap-uw -o - without --ng)");
  } else {
    return Error("capture.format",
                 fmt::format("{}: not a pcap stream at byte offset 0 (magic 0x{:08x}); "
                             "check that the command writes pcap to stdout",
                             source, magic));
  }
  h.version_major = load16(b.data() + 4, h.swapped);
  h.version_minor = load16(b.data() + 6, h.swapped);
  if (h.version_major != 2) {
    return Error("capture.format",
                 fmt::format("{}: unsupported pcap version {}.{} at byte offset 4", source,
                             h.version_major, h.version_minor));
  }
  h.snaplen = load32(b.data() + 16, h.swapped);
  h.linktype = load32(b.data() + 20, h.swapped) & 0xffff;
  return h;
}

Result<PcapRecordHeader> parse_pcap_record(const PcapHeader& h,
                                           std::span<const uint8_t, kPcapRecordHeaderSize> b,
                                           const std::string& source, uint64_t offset) {
  const uint32_t sec = load32(b.data(), h.swapped);
  const uint32_t frac = load32(b.data() + 4, h.swapped);
  PcapRecordHeader r;
  r.caplen = load32(b.data() + 8, h.swapped);
  r.orig_len = load32(b.data() + 12, h.swapped);
  if (r.caplen > kMaxCapLen) {
    return Error("capture.corrupt",
                 fmt::format("{}: corrupt pcap record at byte offset {}: captured length {} "
                             "exceeds {}; the stream is damaged or out of step",
                             source, offset, r.caplen, kMaxCapLen));
  }
  const uint32_t limit = h.nanos ? 1000000000u : 1000000u;
  if (frac >= limit) {
    return Error("capture.corrupt",
                 fmt::format("{}: corrupt pcap record at byte offset {}: sub-second part {} "
                             "is out of range; the stream is damaged or out of step",
                             source, offset, frac));
  }
  r.ts_ns = int64_t{sec} * 1000000000 + (h.nanos ? int64_t{frac} : int64_t{frac} * 1000);
  return r;
}

void encode_pcap_header(const PcapHeader& h, std::span<uint8_t, kPcapHeaderSize> o) {
  store32(o.data(), h.nanos ? kPcapMagicNano : kPcapMagicMicro);
  o[4] = static_cast<uint8_t>(h.version_major);
  o[5] = static_cast<uint8_t>(h.version_major >> 8);
  o[6] = static_cast<uint8_t>(h.version_minor);
  o[7] = static_cast<uint8_t>(h.version_minor >> 8);
  store32(o.data() + 8, 0);
  store32(o.data() + 12, 0);
  store32(o.data() + 16, h.snaplen);
  store32(o.data() + 20, h.linktype);
}

void encode_pcap_record(const PcapHeader& h, const PcapRecordHeader& r,
                        std::span<uint8_t, kPcapRecordHeaderSize> o) {
  const int64_t sec = r.ts_ns / 1000000000;
  const int64_t ns = r.ts_ns % 1000000000;
  store32(o.data(), static_cast<uint32_t>(sec));
  store32(o.data() + 4, static_cast<uint32_t>(h.nanos ? ns : ns / 1000));
  store32(o.data() + 8, r.caplen);
  store32(o.data() + 12, r.orig_len);
}

}  // namespace vmc::capture
