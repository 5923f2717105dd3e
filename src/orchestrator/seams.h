// The seams: the side effects the orchestrator needs, as small interfaces (HostControl,
// HostConnector, VCenterApi, Clock, Sink). The lead glues the real
// adapters (vsphere/, host/, capture/) to them; tests use the recording fakes of
// fakes_test_support.h. Nothing here knows about SOAP, SSH or pcap.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "model/events.h"
#include "model/inventory.h"
#include "model/session_spec.h"
#include "orchestrator/pin.h"
#include "orchestrator/summary.h"
#include "util/result.h"

namespace vmc::orchestrator {

/// One captured frame. `dir` is In or Out when the capture knows (one process per
/// direction, or pcapng flags), Both when it does not. The bytes are borrowed.
struct CapturedFrame {
  int64_t ts_ns = 0;  // since the Unix epoch, UTC
  uint32_t orig_len = 0;
  model::Direction dir = model::Direction::Both;
  std::span<const uint8_t> data;
};

/// Where a capture's frames go. Host adapters call it from their own reader threads, so
/// implementations must be thread-safe. Frames of a pin may arrive as soon as
/// start_capture has the process running, before Sink::pin_opened for it: create the
/// pin's output interface on first sight of its key.
class FrameSink {
 public:
  virtual ~FrameSink() = default;
  virtual void frame(const Pin& pin, const CapturedFrame& f) = 0;
  /// pktcap-uw's own count of frames it dropped (its final report, "dropped N
  /// packets"), when its capture of `pin` ended; before Sink::pin_closed when the
  /// capture was stopped by the orchestrator.
  virtual void capture_dropped(const Pin& /*pin*/, uint64_t /*dropped*/) {}
};

/// Everything a host needs to start one pktcap-uw for a pin.
struct CaptureRequest {
  Pin pin;
  model::Filter filter;       // the spec's filter; a Bridge pin adds `mac`
  std::string capture_point;  // empty = pktcap-uw's default
  std::optional<int> stage;
  int snaplen = 0;
};

/// A running remote capture. `pid` is the pktcap-uw process on the host.
struct CaptureHandle {
  int64_t pid = 0;
  std::string token;  // adapter's own reference (channel id ...), opaque here
  /// On-host output: the file pktcap-uw writes on the host (journaled, so that a
  /// crashed session's file can be fetched by `capture cleanup`). Empty when streaming.
  std::string remote_file;
};

/// A file brought home from a host (HostControl::fetch_leftover_file).
struct FetchedFile {
  uint64_t bytes = 0;
  std::string sha256;
  /// Set when the file was fetched and verified but could not be removed from the host.
  std::string not_removed;
};

struct CaptureStatus {
  enum class Health {
    Running,
    Exited,  // the process ended (error, SSH channel closed ...)
    Deaf,    // runs, but its port is gone from the host: it would capture nothing
  };
  CaptureStatus() = default;
  CaptureStatus(Health h, std::string text) : health(h), detail(std::move(text)) {}

  Health health = Health::Running;
  std::string detail;  // pktcap-uw's last error line, "port 33554436 gone", ...
  /// Exited because the host connection was lost (the process may still run there).
  bool host_lost = false;
  /// host_lost, and the capture goes on recording on the host (on-host output, fetched
  /// later): its NIC stays covered, no gap, until the pin's next capture runs.
  bool still_recording = false;
  /// Exited/Deaf: when the capture was last known to work, if before now (the host
  /// was last heard from then): the gap in the capture starts there.
  std::optional<model::TimePoint> since;
};

/// What the session does on one ESXi host (over SSH): find a NIC's switch port, start,
/// watch and stop pktcap-uw, undo what a crashed session left there. ("Port" in this
/// code is always a switch port.)
class HostControl {
 public:
  virtual ~HostControl() = default;
  /// The switch port ID of the NIC with this MAC on this host; nullopt when the host has
  /// no port for it (yet); an error when the host could not be asked.
  virtual Result<std::optional<int64_t>> resolve_port(const std::string& mac) = 0;
  /// Starts pktcap-uw; frames go to `sink` until stop_capture. Returns once the remote
  /// process runs (its PID known).
  virtual Result<CaptureHandle> start_capture(const CaptureRequest& request, FrameSink& sink) = 0;
  /// Stops exactly that process. Stopping one already gone is success.
  virtual Status stop_capture(const CaptureHandle& handle) = 0;
  virtual CaptureStatus status(const CaptureHandle& handle) = 0;
  /// Kills a pktcap-uw a crashed session left (from the journal). Implementations check
  /// the PID is still a pktcap-uw process of ours before killing; one already gone is
  /// success.
  virtual Status kill_leftover(int64_t pid) = 0;
  /// Brings home the capture file a crashed session left on the host (on-host output;
  /// its capture stopped): copied to `local_path` (refused if that exists), verified
  /// by size and SHA-256, then removed from the host. Error code "onhost.missing" when
  /// the host has no such file; on any other error the file stays on the host.
  virtual Result<FetchedFile> fetch_leftover_file(const std::string& remote_path,
                                                  const std::string& local_path) = 0;
};

/// Gives the HostControl of a host, its connection made once and reused (the connector
/// owns it).
class HostConnector {
 public:
  virtual ~HostConnector() = default;
  virtual Result<HostControl*> connect(const model::HostInfo& host) = 0;
  /// Starts making the connection in the background, so that a later connect() (after
  /// a vMotion, DRS or HA move to this host) finds it ready. Failures are left for
  /// connect() to report. Returns at once.
  virtual void prepare(const model::HostInfo& /*host*/) {}
};

/// vCenter as the orchestrator sees it: the watcher's current view and event stream,
/// and the DRS override steps.
class VCenterApi {
 public:
  virtual ~VCenterApi() = default;
  /// Current state of every watched VM.
  virtual Result<std::vector<model::VmInfo>> watched_vms() = 0;
  /// Hosts the watched VMs can run on, and hosts named by uplink targets.
  virtual Result<std::vector<model::HostInfo>> hosts() = 0;
  /// The host's ports as the API lists them (may lack VM ports: then HostControl resolves).
  virtual Result<std::vector<model::PortInfo>> host_ports(const model::MoRef& host) = 0;
  /// Waits up to `max_wait` for the next event; nullopt when none came. A zero wait
  /// returns only events already received (no round trip to vCenter).
  virtual Result<std::optional<model::VmEvent>> next_event(std::chrono::milliseconds max_wait) = 0;
  /// The VM's override in the cluster now; nullopt = none (the cluster default applies).
  virtual Result<std::optional<model::DrsVmOverride>> get_override(const model::MoRef& cluster,
                                                                   const model::MoRef& vm) = 0;
  /// Adds or edits the VM's override.
  virtual Status set_override(const model::MoRef& cluster, const model::DrsVmOverride& o) = 0;
  /// Removes the VM's override (only called for one this tool added).
  virtual Status remove_override(const model::MoRef& cluster, const model::MoRef& vm) = 0;
};

class Clock {
 public:
  virtual ~Clock() = default;
  virtual model::TimePoint now() = 0;
  virtual void sleep_for(std::chrono::milliseconds d) = 0;
};

struct SinkTotals {
  uint64_t frames = 0;
  uint64_t bytes = 0;
};

/// The session's output (pcapng + manifest): one interface per pin key, comments at
/// re-pins, gaps and stops, and the final manifest.
class Sink : public FrameSink {
 public:
  /// A capture for this pin runs from `at` (again, after a restart: same interface).
  virtual void pin_opened(const Pin& pin, model::TimePoint at, const std::string& reason) = 0;
  virtual void pin_closed(const Pin& pin, model::TimePoint at, const std::string& reason) = 0;
  virtual void comment(model::TimePoint at, const std::string& text) = 0;
  /// Frames and bytes written so far (for the packets/bytes stop conditions).
  virtual SinkTotals totals() = 0;
  /// Set once the output cannot be written any more (disk full, I/O error): the session
  /// must end, keeping what was written. Thread-safe.
  virtual std::optional<std::string> output_failure() { return std::nullopt; }
  /// Writes the manifest and completes the output files. Called exactly once.
  virtual Status finalize(const SessionSummary& summary) = 0;
};

}  // namespace vmc::orchestrator
