#include "capture/byte_sink.h"

#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <optional>
#include <thread>

namespace vmc::capture {

Status FdSink::write(std::span<const uint8_t> bytes) {
  const uint8_t* p = bytes.data();
  size_t left = bytes.size();
  while (left > 0) {
    ssize_t n = ::write(fd_, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      return Error(e == EPIPE ? "capture.write.pipe" : "capture.write",
                   "cannot write to " + name_ + ": " + std::strerror(e) +
                       (e == ENOSPC ? " (free some disk space or write elsewhere with -w)" : ""));
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  return {};
}

struct AsyncFdSink::State {
  FdSink out;
  std::mutex mu;
  std::condition_variable cv;
  std::vector<uint8_t> pending;  // owned by the thread while busy
  size_t pending_len = 0;
  bool busy = false;
  bool quit = false;
  std::optional<Error> error;
  std::thread thread;

  State(int fd, std::string name) : out(fd, std::move(name)) {}

  void loop() {
    std::unique_lock lock(mu);
    for (;;) {
      cv.wait(lock, [&] { return busy || quit; });
      if (!busy) return;
      const size_t len = pending_len;
      lock.unlock();
      Status s = error ? Status() : out.write(std::span<const uint8_t>(pending.data(), len));
      lock.lock();
      if (!s && !error) error = s.error();
      busy = false;
      cv.notify_all();
    }
  }

  // Waits until the thread is idle; returns the first error once.
  Status wait_idle(std::unique_lock<std::mutex>& lock) {
    cv.wait(lock, [&] { return !busy; });
    if (error) return *error;
    return {};
  }
};

AsyncFdSink::AsyncFdSink(int fd, std::string name)
    : st_(std::make_unique<State>(fd, std::move(name))) {
  st_->thread = std::thread([s = st_.get()] { s->loop(); });
}

AsyncFdSink::~AsyncFdSink() {
  {
    std::unique_lock lock(st_->mu);
    st_->cv.wait(lock, [&] { return !st_->busy; });
    st_->quit = true;
  }
  st_->cv.notify_all();
  st_->thread.join();
}

Status AsyncFdSink::write(std::span<const uint8_t> bytes) {
  std::vector<uint8_t> copy(bytes.begin(), bytes.end());
  return write_buffer(copy, copy.size());
}

Status AsyncFdSink::write_buffer(std::vector<uint8_t>& buf, size_t len) {
  std::unique_lock lock(st_->mu);
  if (auto s = st_->wait_idle(lock); !s) return s;
  std::swap(st_->pending, buf);
  st_->pending_len = len;
  st_->busy = true;
  if (buf.size() < st_->pending.size()) buf.resize(st_->pending.size());
  lock.unlock();
  st_->cv.notify_all();
  return {};
}

Status AsyncFdSink::finish() {
  std::unique_lock lock(st_->mu);
  return st_->wait_idle(lock);
}

}  // namespace vmc::capture
