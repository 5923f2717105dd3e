#include "capture/rotating_writer.h"

#include <fmt/format.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>

namespace vmc::capture {

std::string rotated_name(const std::string& path, uint64_t n, int64_t ts_ns) {
  std::filesystem::path p(path);
  std::time_t secs = static_cast<std::time_t>(ts_ns / 1000000000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char when[32];
  std::strftime(when, sizeof when, "%Y%m%d%H%M%S", &tm);
  std::string ext = p.has_extension() ? p.extension().string() : std::string(".pcapng");
  auto name = fmt::format("{}_{:05d}_{}{}", p.stem().string(), n, when, ext);
  return (p.parent_path() / name).string();
}

Status check_output_writable(const std::string& path) {
  const std::filesystem::path p(path);
  const std::string dir = p.parent_path().empty() ? std::string(".") : p.parent_path().string();
  const std::string probe =
      dir + "/." + p.filename().string() + ".probe-" + std::to_string(::getpid());
  const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    const int e = errno;
    return Error("capture.output",
                 fmt::format("cannot write {}: cannot create files in {}: {}; check that the "
                             "directory exists and is writable",
                             path, dir, std::strerror(e)));
  }
  ::close(fd);
  ::unlink(probe.c_str());
  return {};
}

Result<std::unique_ptr<RotatingWriter>> RotatingWriter::open(RotatingOptions o) {
  if (o.path.empty()) return Error("capture.output", "no output path given");
  if (o.path != "-") {
    if (auto st = check_output_writable(o.path); !st) return st.error();
  }
  if (o.path == "-" && o.rotation.enabled())
    return Error("capture.output", "cannot rotate standard output; write to a file (-w FILE) "
                                   "or drop the rotation options");
  if (o.rotation.ring < 0) return Error("capture.output", "ring size must not be negative");
  std::unique_ptr<RotatingWriter> w(new RotatingWriter(std::move(o)));
  if (w->o_.path == "-") {
    // A pipe reader (wireshark -k -i -) wants the headers at once.
    if (auto s = w->start_file(0); !s) return s.error();
  }
  return w;
}

RotatingWriter::~RotatingWriter() = default;  // an unfinished file is discarded by AtomicFile

Status RotatingWriter::start_file(int64_t first_ns) {
  int fd = STDOUT_FILENO;
  std::string name = "standard output";
  if (o_.path != "-") {
    ++file_number_;
    name = o_.rotation.enabled() ? rotated_name(o_.path, file_number_, first_ns) : o_.path;
    auto f = AtomicFile::create(name, o_.durable);
    if (!f) return f.error();
    file_.emplace(std::move(*f));
    fd = file_->fd();
  }
  sink_ = std::make_unique<FdSink>(fd, name);
  writer_ = std::make_unique<PcapngWriter>(*sink_);
  current_ = OutputFile{name, first_ns, first_ns, 0, 0};
  if (auto s = writer_->begin_section(o_.section); !s) return s;
  for (const auto& i : interfaces_) {
    if (auto id = writer_->add_interface(i); !id) return id.error();
  }
  return {};
}

Status RotatingWriter::finish_file() {
  if (!writer_) return {};
  auto s = writer_->flush();
  if (s) s = sink_->finish();
  current_.bytes = writer_->bytes_written();
  writer_.reset();
  sink_.reset();
  if (file_) {
    // Even when the last write failed (disk full), what reached the file is kept under
    // its final name: frames before a truncated last block stay readable.
    auto c = file_->commit();
    file_.reset();
    if (c) files_.push_back(current_);
    if (c && o_.rotation.ring > 0) {
      while (files_.size() > static_cast<size_t>(o_.rotation.ring)) {
        std::error_code ec;
        std::filesystem::remove(files_.front().path, ec);
        files_.erase(files_.begin());
        ++removed_;
      }
    }
    if (!s) return s;
    return c;
  }
  return s;
}

Result<uint32_t> RotatingWriter::add_interface(const InterfaceInfo& info) {
  interfaces_.push_back(info);
  if (writer_) {
    auto id = writer_->add_interface(info);
    if (!id) return id.error();
  }
  return static_cast<uint32_t>(interfaces_.size() - 1);
}

void RotatingWriter::comment(uint32_t interface, std::string text) {
  pending_comments_[interface].push_back(std::move(text));
}

bool RotatingWriter::should_rotate(size_t next_block) const {
  const auto& r = o_.rotation;
  if (!r.enabled() || current_.frames == 0) return false;
  if (r.max_packets && current_.frames >= *r.max_packets) return true;
  if (r.max_bytes && writer_->bytes_written() + next_block > *r.max_bytes) return true;
  return false;
}

Status RotatingWriter::write(uint32_t interface, const FrameView& f, uint32_t flags) {
  if (closed_) return Error("capture.output", o_.path + ": write after close");
  if (interface >= interfaces_.size())
    return Error("capture.output", fmt::format("unknown interface {}", interface));
  const size_t block = 40 + f.data.size();
  bool rotate = writer_ && should_rotate(block);
  if (writer_ && !rotate && o_.rotation.max_age && current_.frames > 0 &&
      f.ts_ns - current_.first_ns >=
          std::chrono::duration_cast<std::chrono::nanoseconds>(*o_.rotation.max_age).count()) {
    rotate = true;
  }
  if (rotate) {
    if (auto s = finish_file(); !s) return s;
  }
  if (!writer_) {
    if (auto s = start_file(f.ts_ns); !s) return s;
  }
  Status s;
  auto it = pending_comments_.find(interface);
  if (it != pending_comments_.end()) {
    s = writer_->write(interface, f.ts_ns, f.orig_len, f.data, flags, it->second);
    pending_comments_.erase(it);
  } else {
    s = writer_->write(interface, f.ts_ns, f.orig_len, f.data, flags);
  }
  if (!s) return s;
  if (current_.frames == 0) current_.first_ns = f.ts_ns;
  current_.last_ns = f.ts_ns;
  ++current_.frames;
  ++frames_;
  return {};
}

Status RotatingWriter::write_stats(uint32_t interface, int64_t ts_ns, const InterfaceStats& st) {
  if (closed_) return Error("capture.output", o_.path + ": write after close");
  if (!writer_) {
    if (auto s = start_file(ts_ns); !s) return s;
  }
  InterfaceStats copy = st;
  auto it = pending_comments_.find(interface);
  if (it != pending_comments_.end()) {
    for (const auto& c : it->second) copy.comment += (copy.comment.empty() ? "" : "; ") + c;
    pending_comments_.erase(it);
  }
  return writer_->write_stats(interface, ts_ns, copy);
}

Status RotatingWriter::flush() {
  if (!writer_) return {};
  return writer_->flush();
}

Status RotatingWriter::close() {
  if (closed_) return {};
  if (!writer_ && files_.empty() && removed_ == 0) {
    if (auto s = start_file(0); !s) return s;
  }
  // Comments no frame came to carry: give each its interface's statistics block.
  while (!pending_comments_.empty()) {
    const uint32_t ifc = pending_comments_.begin()->first;
    if (auto s = write_stats(ifc, current_.last_ns, InterfaceStats{}); !s) return s;
  }
  closed_ = true;
  return finish_file();
}

}  // namespace vmc::capture
