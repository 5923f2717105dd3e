// The classic pcap file format (what `pktcap-uw -o -` writes): a 24-byte global header
// and 16-byte record headers, in the writer's byte order, with micro- or nanosecond
// timestamps. Pure functions on bytes, shared by the stream reader and the tests.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "util/result.h"

namespace vmc::capture {

inline constexpr size_t kPcapHeaderSize = 24;
inline constexpr size_t kPcapRecordHeaderSize = 16;
inline constexpr uint32_t kPcapMagicMicro = 0xa1b2c3d4;
inline constexpr uint32_t kPcapMagicNano = 0xa1b23c4d;
/// Largest captured length accepted (libpcap's limit for Ethernet).
inline constexpr uint32_t kMaxCapLen = 262144;

struct PcapHeader {
  bool swapped = false;  // big-endian file (the writer was big-endian)
  bool nanos = false;    // timestamps in nanoseconds (else microseconds)
  uint16_t version_major = 2;
  uint16_t version_minor = 4;
  uint32_t snaplen = 0;
  uint32_t linktype = 1;  // low 16 bits of the header's link-type field
};

struct PcapRecordHeader {
  int64_t ts_ns = 0;
  uint32_t caplen = 0;
  uint32_t orig_len = 0;
};

/// Parses the 24-byte global header. `source` names the input in error messages.
Result<PcapHeader> parse_pcap_header(std::span<const uint8_t, kPcapHeaderSize> bytes,
                                     const std::string& source);

/// Parses a 16-byte record header at byte `offset` of `source`. Rejects a captured
/// length above kMaxCapLen and a fraction of a second out of range: both mean the
/// stream is corrupt or out of step.
Result<PcapRecordHeader> parse_pcap_record(const PcapHeader& h,
                                           std::span<const uint8_t, kPcapRecordHeaderSize> bytes,
                                           const std::string& source, uint64_t offset);

/// Encodes a global header / record header in little-endian byte order (for tests,
/// the benchmark generator and the fuzzers' seeds).
void encode_pcap_header(const PcapHeader& h, std::span<uint8_t, kPcapHeaderSize> out);
void encode_pcap_record(const PcapHeader& h, const PcapRecordHeader& r,
                        std::span<uint8_t, kPcapRecordHeaderSize> out);

}  // namespace vmc::capture
