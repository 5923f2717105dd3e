// A file written under a temporary name ("<path>.part") and renamed to its final name
// only by commit(), so no reader ever sees a half-written file. The destructor never
// renames: an uncommitted file is removed. Created with owner-only permissions (0600).
#pragma once

#include <string>

#include "util/result.h"

namespace vmc::capture {

class AtomicFile {
 public:
  /// Creates (or truncates) "<path>.part". `durable` fsyncs before the rename.
  static Result<AtomicFile> create(const std::string& path, bool durable = false);

  AtomicFile(AtomicFile&& o) noexcept;
  AtomicFile& operator=(AtomicFile&& o) noexcept;
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  ~AtomicFile();

  int fd() const { return fd_; }
  const std::string& path() const { return path_; }
  const std::string& temp_path() const { return temp_; }

  /// Closes the file and renames it to path(). After success the object is inert.
  Status commit();
  /// Closes and removes the temporary file (what the destructor does).
  void discard();

 private:
  AtomicFile(std::string path, std::string temp, int fd, bool durable)
      : path_(std::move(path)), temp_(std::move(temp)), fd_(fd), durable_(durable) {}

  std::string path_;
  std::string temp_;
  int fd_ = -1;
  bool durable_ = false;
};

}  // namespace vmc::capture
