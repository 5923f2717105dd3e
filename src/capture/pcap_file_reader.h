// Reads pcap and pcapng files with libpcap. pcap_t stays inside this adapter.
#pragma once

#include <cstdio>
#include <memory>
#include <string>

#include "capture/frame_source.h"
#include "util/result.h"

struct pcap;

namespace vmc::capture {

class PcapFileReader : public FrameSource {
 public:
  /// Opens a pcap or pcapng file; "-" reads standard input. Timestamps come in
  /// nanoseconds whatever the file's resolution.
  static Result<std::unique_ptr<PcapFileReader>> open(const std::string& path);
  /// Reads from an open stream, which the reader takes over (and closes).
  static Result<std::unique_ptr<PcapFileReader>> open_stream(FILE* f, std::string name);

  ~PcapFileReader() override;
  PcapFileReader(const PcapFileReader&) = delete;
  PcapFileReader& operator=(const PcapFileReader&) = delete;

  Result<bool> next(FrameView& out) override;
  const std::string& name() const override { return name_; }
  int linktype() const override { return linktype_; }
  uint32_t snaplen() const { return snaplen_; }
  uint64_t frames() const { return frames_; }

 private:
  PcapFileReader(pcap* p, FILE* f, std::string name, std::unique_ptr<char[]> iobuf);

  pcap* p_;
  FILE* f_;
  std::string name_;
  std::unique_ptr<char[]> iobuf_;
  int linktype_ = 1;
  uint32_t snaplen_ = 0;
  uint64_t frames_ = 0;
};

}  // namespace vmc::capture
