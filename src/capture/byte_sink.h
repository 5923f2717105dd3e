// Where written bytes go: a file descriptor (file, pipe, stdout) or memory (tests).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "util/result.h"

namespace vmc::capture {

class ByteSink {
 public:
  virtual ~ByteSink() = default;
  /// Writes all of `bytes` or returns an Error naming the destination.
  virtual Status write(std::span<const uint8_t> bytes) = 0;
  /// Writes buf[0, len). A sink may keep `buf` (writing it later) and hand back
  /// another buffer of the same size in its place; the caller must not hold pointers
  /// into `buf` across the call.
  virtual Status write_buffer(std::vector<uint8_t>& buf, size_t len) {
    return write(std::span<const uint8_t>(buf.data(), len));
  }
  /// Waits until every byte handed over is written; reports a failure not yet seen.
  virtual Status finish() { return {}; }
};

/// Writes to a descriptor it does not own; retries short writes and EINTR.
class FdSink : public ByteSink {
 public:
  FdSink(int fd, std::string name) : fd_(fd), name_(std::move(name)) {}
  Status write(std::span<const uint8_t> bytes) override;
  const std::string& name() const { return name_; }

 private:
  int fd_;
  std::string name_;
};

/// Writes to a descriptor from a second thread, so that the copying of the data into
/// the kernel overlaps with producing the next buffer (on a 2-core machine this takes
/// the write system calls out of the merge's critical path). Buffers are exchanged,
/// not copied. An error is reported by the next write_buffer() or finish().
class AsyncFdSink : public ByteSink {
 public:
  AsyncFdSink(int fd, std::string name);
  ~AsyncFdSink() override;  // waits for the pending write
  AsyncFdSink(const AsyncFdSink&) = delete;
  AsyncFdSink& operator=(const AsyncFdSink&) = delete;

  Status write(std::span<const uint8_t> bytes) override;
  Status write_buffer(std::vector<uint8_t>& buf, size_t len) override;
  Status finish() override;

 private:
  struct State;
  std::unique_ptr<State> st_;
};

/// Collects bytes in memory.
class MemorySink : public ByteSink {
 public:
  Status write(std::span<const uint8_t> bytes) override {
    data.insert(data.end(), bytes.begin(), bytes.end());
    return {};
  }
  std::vector<uint8_t> data;
};

}  // namespace vmc::capture
