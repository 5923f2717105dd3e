#include "capture/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace vmc::capture {

Result<AtomicFile> AtomicFile::create(const std::string& path, bool durable) {
  std::string temp = path + ".part";
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    return Error("capture.output", "cannot create " + temp + ": " + std::strerror(errno) +
                                       "; check that the directory exists and is writable");
  }
  // An existing .part file keeps its mode through O_TRUNC: make it owner-only too.
  if (::fchmod(fd, 0600) != 0) {
    int e = errno;
    ::close(fd);
    ::unlink(temp.c_str());
    return Error("capture.output", "cannot set permissions of " + temp + ": " + std::strerror(e));
  }
  return AtomicFile(path, std::move(temp), fd, durable);
}

AtomicFile::AtomicFile(AtomicFile&& o) noexcept
    : path_(std::move(o.path_)), temp_(std::move(o.temp_)), fd_(o.fd_), durable_(o.durable_) {
  o.fd_ = -1;
}

AtomicFile& AtomicFile::operator=(AtomicFile&& o) noexcept {
  if (this != &o) {
    discard();
    path_ = std::move(o.path_);
    temp_ = std::move(o.temp_);
    fd_ = o.fd_;
    durable_ = o.durable_;
    o.fd_ = -1;
  }
  return *this;
}

AtomicFile::~AtomicFile() { discard(); }

void AtomicFile::discard() {
  if (fd_ < 0) return;
  ::close(fd_);
  ::unlink(temp_.c_str());
  fd_ = -1;
}

Status AtomicFile::commit() {
  if (fd_ < 0) return Error("capture.output", path_ + ": already committed or discarded");
  if (durable_ && ::fsync(fd_) != 0) {
    int e = errno;
    discard();
    return Error("capture.output", "cannot flush " + temp_ + " to disk: " + std::strerror(e));
  }
  if (::close(fd_) != 0) {
    int e = errno;
    fd_ = -1;
    ::unlink(temp_.c_str());
    return Error("capture.output", "cannot close " + temp_ + ": " + std::strerror(e));
  }
  fd_ = -1;
  if (::rename(temp_.c_str(), path_.c_str()) != 0) {
    int e = errno;
    ::unlink(temp_.c_str());
    return Error("capture.output",
                 "cannot rename " + temp_ + " to " + path_ + ": " + std::strerror(e));
  }
  return {};
}

}  // namespace vmc::capture
