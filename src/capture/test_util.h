// Helpers for the capture tests: pcap bytes built in memory, temporary directories,
// reading a file back. Test-only (included by *_test.cc files).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "capture/frame.h"
#include "capture/pcap_format.h"

namespace vmc::capture::testing {

/// A test frame: `len` bytes that encode `tag` (so frames can be told apart).
Frame make_frame(int64_t ts_ns, uint32_t tag, uint32_t len = 64);
/// The tag make_frame() put in `f`.
uint32_t tag_of(const FrameView& f);

/// A classic pcap stream holding `frames`.
std::vector<uint8_t> pcap_bytes(const std::vector<Frame>& frames, bool big_endian = false,
                                bool nanos = true);

/// A fresh empty directory, removed with everything in it when the object dies.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

void write_file(const std::string& path, const std::vector<uint8_t>& bytes);
std::vector<uint8_t> read_file(const std::string& path);
/// Reads every frame of a pcap/pcapng file with libpcap (fails the test on error).
std::vector<Frame> read_frames(const std::string& path);
/// Runs a shell command, returns its standard output (stderr goes to `err` if given).
std::string run(const std::string& command, std::string* err = nullptr);

}  // namespace vmc::capture::testing
