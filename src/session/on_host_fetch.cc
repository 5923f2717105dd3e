#include "session/on_host_fetch.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>

#include "capture/pcap_stream_reader.h"
#include "host/on_host_output.h"
#include "session/fetch_home.h"
#include "session/ssh_host_control.h"

namespace vmc::session {

namespace {

// How far a host's frame times may be from this machine's and still be matched as the
// same frame seen by two overlapping captures of a pin.
constexpr int64_t kOverlapMarginNs = 2'000'000'000;

}  // namespace

void CaptureFetcher::keep(const CaptureFile& file, const Error& kept) {
  // `kept` says where the file is and that it stays there (host::kept_on_host).
  const std::string text =
      kept.message + " (fetch it by hand, e.g. `scp " + host_ + ":" + file.remote_path + " .`)";
  spdlog::error("{}", text);
  if (note_) note_(text);
  std::lock_guard lk(mu_);
  kept_.push_back(text);
}

void CaptureFetcher::collect(CaptureFile& file, CaptureFile* later) {
  if (file.collected) return;
  file.collected = true;
  if (::mkdir(staging_.c_str(), 0700) != 0 && errno != EEXIST) {
    return keep(file, host::kept_on_host(host_, file.remote_path,
                                         Error("onhost.local", "cannot make the local staging directory " +
                                                                   staging_ + ": " + std::strerror(errno))));
  }
  const std::string local = staging_ + "/" + file.file_name;
  auto fetched = fetch_home(conn_, file.remote_path, local);
  if (!fetched.ok()) return keep(file, fetched.error());
  auto say = [&](const std::string& text) {
    spdlog::warn("{}", text);
    if (note_) note_(text);
  };
  if (!fetched->not_removed.empty()) say(fetched->not_removed);
  auto pushed = push_frames(file, local, later);
  if (!pushed.ok()) say(pushed.error().message + "; the fetched copy is kept at " + local);
}

Result<uint64_t> CaptureFetcher::push_frames(CaptureFile& file, const std::string& local_path,
                                             CaptureFile* later) {
  const int64_t overlap_from = later ? later->started_ns - kOverlapMarginNs : 0;
  std::ifstream in(local_path, std::ios::binary);
  if (!in) return Error("onhost.read", "cannot read the fetched copy " + local_path);
  capture::PcapStreamReader reader(host_ + ":" + file.remote_path);
  const FrameDirection direction(file.pin);
  std::vector<uint8_t> buf(256 * 1024);
  uint64_t n = 0;
  std::optional<Error> damaged;
  while (!damaged) {
    in.read(reinterpret_cast<char*>(buf.data()), static_cast<std::streamsize>(buf.size()));
    const auto got = static_cast<size_t>(in.gcount());
    if (got == 0) break;
    reader.push(std::span<const uint8_t>(buf.data(), got));
    for (;;) {
      auto f = reader.next();
      if (!f.ok()) {
        damaged = f.error();
        break;
      }
      if (!*f) break;
      const auto& v = **f;
      if (file.overlap.repeats(v)) continue;
      if (later && v.ts_ns >= overlap_from) later->overlap.delivered(v);
      orchestrator::CapturedFrame cf;
      cf.ts_ns = v.ts_ns;
      cf.orig_len = v.orig_len;
      cf.data = v.data;
      cf.dir = direction(v.data);
      file.sink->frame(file.pin, cf);
      ++n;
    }
  }
  {
    std::lock_guard lk(mu_);
    frames_ += n;
  }
  const std::string kept_before = " (" + std::to_string(n) + " frames before it were kept)";
  if (damaged) return damaged->reworded(damaged->message + kept_before);
  if (auto st = reader.finish(); !st.ok()) return st.error().reworded(st.error().message + kept_before);
  spdlog::debug("{}: fetched {} ({} frames, {} already delivered by the capture before it)", host_,
                file.remote_path, n, file.overlap.repeated());
  file.overlap.clear();
  return n;
}

std::vector<std::string> CaptureFetcher::kept() const {
  std::lock_guard lk(mu_);
  return kept_;
}

uint64_t CaptureFetcher::frames() const {
  std::lock_guard lk(mu_);
  return frames_;
}

}  // namespace vmc::session
