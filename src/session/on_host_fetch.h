// Bringing on-host capture files home while the session runs: each file once, with
// fetch_home (size and SHA-256 checked, then removed from the host) into a private
// staging directory, then its frames to the capture's sink. A file that cannot be
// fetched stays on the host and is named for the session's end. Frames a cut-off
// capture and its pin's next capture both recorded are delivered once
// (capture::OverlapDeduplicator).
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "capture/dedup.h"
#include "host/host_connection.h"
#include "orchestrator/seams.h"

namespace vmc::session {

/// What the fetcher needs of one on-host capture.
struct CaptureFile {
  orchestrator::Pin pin;
  orchestrator::FrameSink* sink = nullptr;
  std::string file_name;    // vmc-....pcap
  std::string remote_path;  // <dir>/<file_name>
  int64_t started_ns = 0;   // this machine's clock when its pktcap-uw was started
  bool collected = false;
  /// Frames an earlier capture of the same pin delivered while both ran.
  capture::OverlapDeduplicator overlap;
};

class CaptureFetcher {
 public:
  /// `note` is told what the session must record (a file kept on the host, a damaged
  /// file); the local staging directory is made 0700 on first use.
  CaptureFetcher(std::string host_name, host::HostConnection& conn, std::string staging_dir,
                 std::function<void(const std::string&)> note)
      : host_(std::move(host_name)),
        conn_(conn),
        staging_(std::move(staging_dir)),
        note_(std::move(note)) {}

  /// Fetches the file of a capture that has ended (once) and delivers its frames.
  /// `later`: the pin's next capture, which ran at the same time; the frames delivered
  /// here from its start on are not delivered again from its file.
  void collect(CaptureFile& file, CaptureFile* later = nullptr);
  /// Files that stay on the host: "esx01:/vmfs/volumes/.../x.pcap: why; ...".
  std::vector<std::string> kept() const;
  /// Frames delivered from fetched files so far.
  uint64_t frames() const;

 private:
  Result<uint64_t> push_frames(CaptureFile& file, const std::string& local_path, CaptureFile* later);
  void keep(const CaptureFile& file, const Error& kept);

  std::string host_;
  host::HostConnection& conn_;
  std::string staging_;
  std::function<void(const std::string&)> note_;
  mutable std::mutex mu_;
  std::vector<std::string> kept_;
  uint64_t frames_ = 0;
};

}  // namespace vmc::session
