// Everything a capture session writes: one pcapng stream (rotated, atomically
// finished) in which each pin (host, port, direction) is an interface, frames from all
// pins merged by time with copies from overlapping pins removed, comments at events,
// a statistics block when a pin ends, and the JSON manifest at close.
//
// The orchestrator feeds it: add_pin() when a pktcap-uw starts, push() with the bytes
// of its standard output as they arrive, end_pin() when it stops, event()/gap()/
// drs_action() as they happen, tick() now and then, close() at the end. Not
// thread-safe: call it from one thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "capture/live_merger.h"
#include "capture/manifest.h"
#include "capture/pcap_stream_reader.h"
#include "capture/rotating_writer.h"
#include "model/session_spec.h"
#include "util/result.h"

namespace vmc::capture {

struct PinInfo {
  std::string host;  // "esx01"
  std::string port;  // switch port id "33554442", or an uplink "vmnic0"
  model::Direction direction = model::Direction::In;
  std::string vm;
  std::string nic_label;
  std::string mac;
};

/// "esx01:33554442:in" (direction "in", "out" or "both").
std::string interface_name(const PinInfo& pin);
/// "VM testvm1, Network adapter 1, MAC 00:50:56:aa:bb:cc".
std::string interface_description(const PinInfo& pin);

struct SessionOutputOptions {
  RotatingOptions output;
  LiveMergeOptions merge;
  /// Empty: beside the output (manifest_path_for); none when writing to stdout.
  std::string manifest_path;
  /// tool, session, vcenter, plan: copied into the manifest.
  Manifest header;
};

/// Frames an on-host session holds for ordering: each held frame costs its bytes plus
/// about 100 bytes, so 1,000,000 frames of 1,500 bytes are ~1.6 GB.
inline constexpr size_t kOnHostHeldFrames = 1'000'000;

/// The one place a session's output options come from: output path and rotation, a
/// section header saying "vm-capture <version>" and naming the vCenter, the VMs, the
/// plan and the session, and the manifest header (tool, session id, vCenter, plan).
/// With on-host output (captures arrive whole when each stops) the merge holds frames
/// until every stream has passed them or ended, up to kOnHostHeldFrames; otherwise the
/// merge and de-duplication windows keep their defaults.
SessionOutputOptions session_output_options(const model::SessionSpec& spec,
                                            const std::string& vcenter,
                                            const std::string& session_id);

class SessionOutput {
 public:
  static Result<std::unique_ptr<SessionOutput>> open(SessionOutputOptions o, int64_t now_ns);
  ~SessionOutput();

  Result<uint32_t> add_pin(const PinInfo& pin, int64_t now_ns);
  /// Bytes of the pin's pcap stream. A corrupt stream is returned as an Error (for the
  /// log) and ends that pin; its frames before the damage are kept, others go on.
  Status push(uint32_t pin, std::span<const uint8_t> bytes, int64_t now_ns);
  /// One frame of the pin already parsed (by a reader of the caller's); like push()
  /// but with no pcap framing. Frames due are written at the next tick().
  Status push_frame(uint32_t pin, const FrameView& frame, int64_t now_ns);
  /// The pin's capture stopped; `dropped` is pktcap-uw's own count when known.
  Status end_pin(uint32_t pin, const std::string& reason, std::optional<uint64_t> dropped,
                 int64_t now_ns);
  /// Records an event in the manifest and as a comment on the next frame of `pin`
  /// (or of every open pin when none is given).
  void event(const ManifestEvent& e, std::optional<uint32_t> pin = std::nullopt);
  void gap(const ManifestGap& g);
  void drs_action(const ManifestDrsAction& d);
  /// `host`'s frame times are moved by `ns` onto this machine's time line.
  void clock_correction(const std::string& host, int64_t ns) { manifest_.clock_corrections_ns[host] = ns; }
  /// Writes out frames that are due; call regularly (e.g. every 100 ms).
  Status tick(int64_t now_ns);
  /// Pushes what was written to the file (not the frames still held for ordering).
  Status flush();
  /// Ends open pins, writes everything held, finishes the files and the manifest.
  Result<Manifest> close(int64_t now_ns, const std::string& reason);

  uint64_t frames() const { return frames_; }

 private:
  struct Pin;
  class Output;
  explicit SessionOutput(SessionOutputOptions o);
  Status drain_stream(uint32_t pin, int64_t now_ns);

  SessionOutputOptions o_;
  std::unique_ptr<RotatingWriter> writer_;
  LiveMerger merger_;
  std::vector<Pin> pins_;
  Manifest manifest_;
  uint64_t frames_ = 0;
  uint64_t bytes_ = 0;
  bool closed_ = false;
};

}  // namespace vmc::capture
