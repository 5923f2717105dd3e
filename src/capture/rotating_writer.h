// A pcapng output that rotates: a new file when the current one would exceed a size,
// holds a number of packets, or spans a time (measured on frame timestamps, so a file
// covers a fixed stretch of captured time), keeping at most a ring of N files. Each
// file is complete on its own (section header and every interface) and is written
// under "<name>.part", renamed when done. "-" writes one stream to standard output.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "capture/atomic_file.h"
#include "capture/byte_sink.h"
#include "capture/frame.h"
#include "capture/pcapng_writer.h"
#include "model/session_spec.h"
#include "util/result.h"

namespace vmc::capture {

struct RotatingOptions {
  std::string path;  // "-" = standard output (no rotation)
  model::Rotation rotation;
  SectionInfo section;
  bool durable = false;  // fsync each file before renaming it
};

struct OutputFile {
  std::string path;
  int64_t first_ns = 0;
  int64_t last_ns = 0;
  uint64_t frames = 0;
  uint64_t bytes = 0;  // file size
};

/// "<dir>/<stem>_<NNNNN>_<YYYYmmddHHMMSS><ext>" for rotated file number `n` whose first
/// frame is at `ts_ns` (UTC), like tshark's ring buffer names.
std::string rotated_name(const std::string& path, uint64_t n, int64_t ts_ns);

/// Checks, by creating and removing a probe file, that files can be created where
/// `path` (a file, or rotated files named after it) will be written. Error
/// "capture.output" naming the path, the directory and the reason. The output is
/// opened lazily at the first frame, so without this check a bad -w is found only once
/// a capture runs.
Status check_output_writable(const std::string& path);

class RotatingWriter {
 public:
  static Result<std::unique_ptr<RotatingWriter>> open(RotatingOptions options);
  ~RotatingWriter();

  /// Declares an interface: written to the current file now and to every later file.
  Result<uint32_t> add_interface(const InterfaceInfo& info);
  /// Attaches `text` as a comment to the next frame written on `interface` (or to its
  /// statistics block if no frame follows).
  void comment(uint32_t interface, std::string text);
  Status write(uint32_t interface, const FrameView& f, uint32_t flags);
  Status write_stats(uint32_t interface, int64_t ts_ns, const InterfaceStats& stats);

  /// Writes buffered bytes to the current file, so a reader (or what is left after a
  /// crash) sees every frame written so far.
  Status flush();
  /// Finishes the current file (an empty capture still gives one valid file).
  Status close();

  /// Finished files still on disk, oldest first (the ring drops the oldest).
  const std::vector<OutputFile>& files() const { return files_; }
  uint64_t frames() const { return frames_; }
  uint64_t files_removed() const { return removed_; }

 private:
  explicit RotatingWriter(RotatingOptions o) : o_(std::move(o)) {}
  Status start_file(int64_t first_ns);
  Status finish_file();
  bool should_rotate(size_t next_block) const;

  RotatingOptions o_;
  std::vector<InterfaceInfo> interfaces_;
  std::map<uint32_t, std::vector<std::string>> pending_comments_;
  std::optional<AtomicFile> file_;
  std::unique_ptr<ByteSink> sink_;
  std::unique_ptr<PcapngWriter> writer_;
  OutputFile current_;
  uint64_t file_number_ = 0;
  std::vector<OutputFile> files_;
  uint64_t frames_ = 0;
  uint64_t removed_ = 0;
  bool closed_ = false;
};

}  // namespace vmc::capture
