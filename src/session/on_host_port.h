// orchestrator::HostPort for on-host output (a plan's `output.on_host`): pktcap-uw writes
// each pin's capture to a file on a datastore of the host, and the file comes home when
// the capture stops. Port resolution and left-over kills are the streaming port's.
//
//  - start_capture: refuses when the datastore has less free than the reserve
//    (host::check_space), then runs `pktcap-uw ... -o <dir>/vmc-<session>-<host>-<port>-
//    <dir>-<n>.pcap` over an SSH channel held open for its life (its PID from `echo $$`,
//    its end and its stderr seen on the channel; a file capture outlives a dropped
//    connection, so it is stopped by PID).
//  - status: running or ended as the streaming port says, and at most once per
//    space_check_interval the datastore's free space: below the reserve the session must
//    end (OnHostEvents::end_session), not restart the capture on a full datastore.
//  - a capture whose connection was lost goes on writing on the host: status reports it
//    host_lost; once the host answers, the pin's next start (after its new capture runs)
//    or the runtime's kill_leftover stops it by PID and fetches its file.
//  - stop_capture (and a capture found ended by status): kill by PID, fetch the file with
//    host::fetch_verified into a private staging file beside the output, remove the
//    remote file only when size and SHA-256 match, then hand its frames to the FrameSink.
//    A file that cannot be fetched stays on the host; the message names host and path.
//    Every handle names its remote file, which the runtime journals: a crashed session's
//    files are fetched by `capture cleanup` (fetch_leftover_file, the streaming port's).
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "host/host_connection.h"
#include "host/pktcap_process.h"
#include "host/port_resolver.h"
#include "model/inventory.h"
#include "model/session_spec.h"
#include "orchestrator/ports.h"

namespace vmc::session {

struct OnHostSettings {
  std::string session_id;    // part of every remote file name
  model::OutputSpec output;  // datastore, force_tmp
  std::string staging_dir;   // local directory for fetched files (made 0700 on first use)
  std::chrono::milliseconds space_check_interval{1000};  // per host, while captures run
};

/// How the on-host ports tell the session what it must know. Called from the thread
/// that called the port (the runtime's).
struct OnHostEvents {
  /// The session must end (the datastore is full): text for the log and the manifest.
  std::function<void(const std::string&)> end_session;
  /// Something to record (a file kept on the host, a truncated capture).
  std::function<void(const std::string&)> note;
};

/// "vmc-<session>-<host>-<port>-<dir>-<n>.pcap" with every character outside
/// [A-Za-z0-9._-] replaced by '_' (host names and session ids come from outside).
std::string on_host_file_name(const std::string& session_id, const orchestrator::Pin& pin,
                              uint64_t n);

class OnHostPort : public orchestrator::HostPort {
 public:
  /// `streaming` answers resolve_port and kills for kill_leftover (which also fetches
  /// the file of a capture of ours cut off with its connection); `conn` is the same
  /// host's connection. Both must outlive this port.
  OnHostPort(model::HostInfo info, orchestrator::HostPort& streaming, host::HostConnection& conn,
             OnHostSettings settings, OnHostEvents events);
  ~OnHostPort() override;

  Result<std::optional<int64_t>> resolve_port(const std::string& mac) override;
  Result<orchestrator::CaptureHandle> start_capture(const orchestrator::CaptureRequest& request,
                                                    orchestrator::FrameSink& sink) override;
  Status stop_capture(const orchestrator::CaptureHandle& handle) override;
  orchestrator::CaptureStatus status(const orchestrator::CaptureHandle& handle) override;
  Status kill_leftover(int64_t pid) override;
  Result<orchestrator::FetchedFile> fetch_leftover_file(const std::string& remote_path,
                                                        const std::string& local_path) override;

  /// Files still on the host (fetch failed): "esx01:/vmfs/volumes/.../x.pcap (why)".
  std::vector<std::string> kept() const;
  /// Frames handed to sinks from fetched files so far.
  uint64_t frames_fetched() const;

 private:
  struct Capture;
  /// The capture has ended (or been stopped): fetch its file and push its frames.
  /// `overlapping`: a later capture of the same pin that ran at the same time; it skips
  /// the frames this one delivered from its start on.
  void collect(Capture& cap, Capture* overlapping = nullptr);
  /// Reads a staged pcap and pushes its frames (but those `cap` was told were delivered
  /// already); returns how many.
  Result<uint64_t> push_frames(Capture& cap, const std::string& local_path, Capture* overlapping);
  /// Free space of the capture directory; below the reserve it records that the
  /// datastore is full and ends the session (once). Returns the message when it is full;
  /// nullopt when there is room or the space cannot be told now.
  std::optional<std::string> check_datastore();
  std::optional<std::string> full_text() const;
  /// Captures cut off with their connection: stop them by PID and fetch their files;
  /// `newer` is the capture just started (it overlaps a cut-off one of its pin).
  void retry_pending(Capture* newer = nullptr);
  void note(const std::string& text);

  model::HostInfo info_;
  orchestrator::HostPort& streaming_;
  host::HostConnection& conn_;
  host::PortResolver resolver_;
  OnHostSettings settings_;
  OnHostEvents events_;
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<Capture>> captures_;  // by token
  std::vector<std::shared_ptr<Capture>> pending_;  // cut off, not yet stopped and fetched
  std::vector<std::string> kept_;
  uint64_t next_token_ = 1;
  uint64_t frames_fetched_ = 0;
  std::string dir_;                  // the capture directory, once a capture started
  std::optional<std::string> full_;  // set once the datastore was found full
  std::chrono::steady_clock::time_point last_space_check_{};
};

/// orchestrator::HostConnector that gives an OnHostPort per host, over the streaming
/// ports of `inner` (an SshHostConnector: its ports are SshHostPorts).
class OnHostConnector : public orchestrator::HostConnector {
 public:
  OnHostConnector(orchestrator::HostConnector& inner, OnHostSettings settings, OnHostEvents events)
      : inner_(inner), settings_(std::move(settings)), events_(std::move(events)) {}

  Result<orchestrator::HostPort*> connect(const model::HostInfo& host) override;
  void prepare(const model::HostInfo& host) override { inner_.prepare(host); }

  /// Every port's kept files.
  std::vector<std::string> kept() const;

 private:
  orchestrator::HostConnector& inner_;
  OnHostSettings settings_;
  OnHostEvents events_;
  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<OnHostPort>> ports_;  // by host ref (or name)
};

}  // namespace vmc::session
