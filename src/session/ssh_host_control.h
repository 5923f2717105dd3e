// orchestrator::HostControl over a real host connection (SSH): port resolution by MAC,
// pktcap-uw started with `-o -` and its pcap stream parsed into frames for the sink,
// stopped by its PID only. Frame direction of a `--dir 2` capture is told apart by the
// pinned NIC's MAC (source MAC = the VM sent it).
#pragma once

#include <array>
#include <map>
#include <memory>
#include <mutex>

#include "host/host_connection.h"
#include "host/pktcap_args.h"
#include "host/pktcap_process.h"
#include "host/port_resolver.h"
#include "model/inventory.h"
#include "orchestrator/seams.h"

namespace vmc::session {

/// pktcap-uw's direction for a pin direction: for a VM port "in" (to the VM) is the
/// switch port's output (--dir 1); for uplinks and bridges "in" is the uplink's input.
model::Direction pktcap_direction(const orchestrator::Pin& pin);

/// What pktcap-uw must do for a capture request, writing to `output` ("-": stdout).
host::PktcapRequest pktcap_request(const orchestrator::CaptureRequest& request, std::string output);

/// Direction of one frame of a Both capture on a VM port or bridge: Out when the frame's
/// source MAC is the pinned NIC's, In otherwise. Both when it cannot be told.
model::Direction frame_direction(const orchestrator::Pin& pin, std::span<const uint8_t> frame);

/// The same per frame of one pin, with the pin's MAC parsed once (the capture's hot path).
class FrameDirection {
 public:
  explicit FrameDirection(const orchestrator::Pin& pin);
  model::Direction operator()(std::span<const uint8_t> frame) const;

 private:
  model::Direction fixed_ = model::Direction::Both;
  bool by_mac_ = false;
  std::array<uint8_t, 6> mac_{};
};

class SshHostControl : public orchestrator::HostControl {
 public:
  SshHostControl(model::HostInfo info, std::unique_ptr<host::HostConnection> conn);
  ~SshHostControl() override;

  Result<std::optional<int64_t>> resolve_port(const std::string& mac) override;
  Result<orchestrator::CaptureHandle> start_capture(const orchestrator::CaptureRequest& request,
                                                    orchestrator::FrameSink& sink) override;
  Status stop_capture(const orchestrator::CaptureHandle& handle) override;
  orchestrator::CaptureStatus status(const orchestrator::CaptureHandle& handle) override;
  Status kill_leftover(int64_t pid) override;
  Result<orchestrator::FetchedFile> fetch_leftover_file(const std::string& remote_path,
                                                        const std::string& local_path) override;

  host::HostConnection& connection() { return *conn_; }

 private:
  struct Capture;
  model::HostInfo info_;
  std::unique_ptr<host::HostConnection> conn_;
  host::PortResolver resolver_;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<Capture>> captures_;  // by token
  uint64_t next_token_ = 1;
};

}  // namespace vmc::session
