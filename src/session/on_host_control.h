// orchestrator::HostControl for on-host output (a plan's `output.on_host`): pktcap-uw writes
// each pin's capture to a file on a datastore of the host, and the file comes home when
// the capture stops. Port resolution and left-over kills are the streaming port's.
//
//  - start_capture: refuses when the datastore has less free than the reserve
//    (DatastoreWatch), then runs `pktcap-uw ... -o <dir>/<on_host_file_name>` over an SSH
//    channel held open for its life (its PID from `echo $$`, its end and its stderr seen
//    on the channel; a file capture outlives a dropped connection, so it is stopped by
//    PID).
//  - status: running or ended as the streaming port says, and at most once per
//    space_check_interval the datastore's free space: below the reserve the session must
//    end (OnHostEvents::end_session), not restart the capture on a full datastore.
//  - a capture whose connection was lost goes on writing on the host: status reports it
//    host_lost; once the host answers, the pin's next start (after its new capture runs)
//    or the runtime's kill_leftover stops it by PID and fetches its file.
//  - stop_capture (and a capture found ended by status): kill by PID, then CaptureFetcher
//    brings the file home and hands its frames to the FrameSink; a file that cannot be
//    fetched stays on the host, named by kept().
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
#include "orchestrator/seams.h"
#include "session/host_connector.h"
#include "session/on_host_fetch.h"
#include "session/on_host_space.h"
#include "session/ssh_host_control.h"

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

class OnHostControl : public orchestrator::HostControl {
 public:
  /// `streaming` (which must outlive this) answers resolve_port and kills for
  /// kill_leftover (which also fetches the file of a capture of ours cut off with its
  /// connection); its connection is this one's.
  OnHostControl(model::HostInfo info, SshHostControl& streaming, OnHostSettings settings, OnHostEvents events);
  ~OnHostControl() override;

  // Captures written on the host.
  Result<orchestrator::CaptureHandle> start_capture(const orchestrator::CaptureRequest& request,
                                                    orchestrator::FrameSink& sink) override;
  orchestrator::CaptureStatus status(const orchestrator::CaptureHandle& handle) override;
  Status stop_capture(const orchestrator::CaptureHandle& handle) override;
  Status kill_leftover(int64_t pid) override;

  // The streaming control's.
  Result<std::optional<int64_t>> resolve_port(const std::string& mac) override;
  Result<orchestrator::FetchedFile> fetch_leftover_file(const std::string& remote_path,
                                                        const std::string& local_path) override;

  /// Files still on the host (fetch failed, or never stopped): "esx01:/vmfs/volumes/.../x.pcap ...".
  std::vector<std::string> kept() const;
  /// Frames handed to sinks from fetched files so far.
  uint64_t frames_fetched() const { return fetcher_.frames(); }

 private:
  struct Capture;
  /// Captures cut off with their connection: stop them by PID and fetch their files;
  /// `newer` is the capture just started (it overlaps a cut-off one of its pin).
  void retry_pending(Capture* newer = nullptr);
  void note(const std::string& text);

  model::HostInfo info_;
  SshHostControl& streaming_;
  host::HostConnection& conn_;
  host::PortResolver resolver_;
  OnHostSettings settings_;
  OnHostEvents events_;
  DatastoreWatch space_;
  CaptureFetcher fetcher_;
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<Capture>> captures_;  // by token
  std::vector<std::shared_ptr<Capture>> pending_;  // cut off, not yet stopped and fetched
  uint64_t next_token_ = 1;
};

/// orchestrator::HostConnector that gives an OnHostControl per host, over the SSH host
/// ports of `ssh` (whose connections the captures use).
class OnHostConnector : public orchestrator::HostConnector {
 public:
  OnHostConnector(SshHostConnector& ssh, OnHostSettings settings, OnHostEvents events)
      : ssh_(ssh), settings_(std::move(settings)), events_(std::move(events)) {}

  Result<orchestrator::HostControl*> connect(const model::HostInfo& host) override;
  void prepare(const model::HostInfo& host) override { ssh_.prepare(host); }

  /// Every port's kept files.
  std::vector<std::string> kept() const;

 private:
  SshHostConnector& ssh_;
  OnHostSettings settings_;
  OnHostEvents events_;
  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<OnHostControl>> ports_;  // by host ref (or name)
};

}  // namespace vmc::session
