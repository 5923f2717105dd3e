#include "capture/pcap_file_reader.h"

#include <fmt/format.h>
#include <pcap/pcap.h>

#include <cerrno>
#include <limits>
#include <cstring>

namespace vmc::capture {
namespace {

// Larger stdio buffer: libpcap reads each record with two fread() calls; with the default
// 4 KiB buffer that is a read(2) every few frames.
constexpr size_t kReadBuffer = 64 * 1024;

}  // namespace

PcapFileReader::PcapFileReader(pcap* p, FILE* f, std::string name,
                               std::unique_ptr<char[]> iobuf)
    : p_(p), f_(f), name_(std::move(name)), iobuf_(std::move(iobuf)) {
  linktype_ = pcap_datalink(p_);
  snaplen_ = static_cast<uint32_t>(pcap_snapshot(p_));
}

PcapFileReader::~PcapFileReader() {
  pcap_close(p_);  // closes f_ too
}

Result<std::unique_ptr<PcapFileReader>> PcapFileReader::open(const std::string& path) {
  if (path == "-") return open_stream(stdin, "standard input");
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) {
    return Error("capture.open", fmt::format("cannot open {}: {}", path, std::strerror(errno)));
  }
  return open_stream(f, path);
}

Result<std::unique_ptr<PcapFileReader>> PcapFileReader::open_stream(FILE* f, std::string name) {
  auto iobuf = std::make_unique<char[]>(kReadBuffer);
  std::setvbuf(f, iobuf.get(), _IOFBF, kReadBuffer);
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  pcap_t* p = pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_NANO, errbuf);
  if (!p) {
    std::fclose(f);
    return Error("capture.format",
                 fmt::format("{}: not a readable pcap or pcapng file: {}", name, errbuf));
  }
  return std::unique_ptr<PcapFileReader>(new PcapFileReader(p, f, std::move(name),
                                                            std::move(iobuf)));
}

Result<bool> PcapFileReader::next(FrameView& out) {
  pcap_pkthdr* h = nullptr;
  const u_char* data = nullptr;
  const int rc = pcap_next_ex(p_, &h, &data);
  if (rc == 1) {
    // pcapng timestamps are 64-bit units since 1970: a damaged block can carry one that
    // nanoseconds in an int64 cannot hold (beyond the year 2262).
    // (A sub-second part of a second or more, as some writers leave, is carried over as
    // libpcap gives it: below 2^32 ns, it cannot overflow with the margin kept here.)
    constexpr int64_t kMaxSec = std::numeric_limits<int64_t>::max() / 1000000000 - 5;
    const int64_t sec = h->ts.tv_sec;
    const int64_t frac = h->ts.tv_usec;
    if (sec > kMaxSec || sec < -kMaxSec || frac < 0 || frac > int64_t{UINT32_MAX})
      return Error("capture.corrupt",
                   fmt::format("{}: frame {} has timestamp {}.{:09} s, which is out of range "
                               "(beyond the year 2262); the file is damaged; the {} frames "
                               "before it were kept",
                               name_, frames_ + 1, sec, frac, frames_));
    out.ts_ns = sec * 1000000000 + frac;
    out.orig_len = h->len;
    out.data = std::span<const uint8_t>(data, h->caplen);
    ++frames_;
    return true;
  }
  if (rc == PCAP_ERROR_BREAK) return false;  // end of file
  const long pos = std::ftell(f_);
  std::string where = pos >= 0 ? fmt::format("at byte offset {}", pos)
                               : std::string("at an unknown byte offset");
  return Error("capture.corrupt",
               fmt::format("{}: read error {} after {} good frames: {}; the frames before "
                           "it were kept",
                           name_, where, frames_, pcap_geterr(p_)));
}

}  // namespace vmc::capture
