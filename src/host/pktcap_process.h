// One running pktcap-uw on a host: started through HostConnection::start (so its PID is
// known from the first stdout line), its pcap bytes handed to a callback, its stderr
// folded into a PktcapStatus, and stopped by `kill <its PID>` only, after `ps` shows that
// PID still is a pktcap-uw, and confirmed gone with `ps` afterwards.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "host/host_connection.h"
#include "host/pktcap_stderr.h"
#include "host/port_resolver.h"

namespace vmc::host {

/// How to wait between `ps` checks; tests pass a function that does not sleep.
using Sleeper = std::function<void(std::chrono::milliseconds)>;
Sleeper real_sleeper();

struct StopOptions {
  int verify_attempts = 10;                            // ps checks after `kill PID`
  std::chrono::milliseconds verify_interval{200};
  bool escalate_to_kill = true;                        // `kill -KILL PID` if TERM was ignored
  std::chrono::milliseconds exit_wait{3000};           // for the channel's final stderr lines
};

struct StopReport {
  bool was_running = false;   // ps listed our PID as pktcap-uw before the kill
  bool killed = false;        // we sent a signal
  bool escalated = false;     // TERM was ignored and KILL was sent
  bool gone = false;          // ps no longer lists the PID
  std::string note;           // e.g. "PID 123 now belongs to `vi`: not killed"
};

/// Stops a pktcap-uw by PID alone (also for orphans found after a reconnect): checks
/// `ps -c` that `pid` is a pktcap-uw, sends `kill PID`, and polls `ps -c` until it is gone
/// (then `kill -KILL PID` once if allowed). Never kills a PID that is not a pktcap-uw.
Result<StopReport> stop_pktcap_pid(HostConnection& conn, int64_t pid, const StopOptions& opt,
                                   const Sleeper& sleep);

enum class CaptureHealth {
  Starting,        // no PID or no stderr sign of life yet
  Running,
  Deaf,            // pinned port no longer on the host (or now another NIC's)
  Exited,          // ended on its own (see exit_detail)
  Failed,          // stderr reported an error
  ConnectionLost,  // the SSH connection broke; the remote process may still run
  Stopped,         // stopped by us
};
const char* to_string(CaptureHealth h);

class PktcapProcess {
 public:
  /// Starts `argv` (from plan_pktcap) and waits up to `pid_timeout` for its PID, so a
  /// returned process always has pid(). `on_pcap` receives the pcap byte stream in
  /// order, from the connection's I/O thread. Codes: "pktcap.start" (it ended before
  /// reporting a PID: the message quotes its stderr, e.g. "pktcap-uw: not found"),
  /// "pktcap.no-pid" (no PID in time: the channel is closed, nothing is killed).
  static Result<std::unique_ptr<PktcapProcess>> start(
      HostConnection& conn, std::vector<std::string> argv, std::function<void(std::string_view)> on_pcap,
      std::chrono::milliseconds pid_timeout = std::chrono::seconds(10));
  /// Whether pktcap-uw said it is connected to its capture session: the "Vsock
  /// connection from port N cid 2" line, its last start-up line before frames flow
  /// (the PID arrives earlier, before pktcap-uw itself runs).
  bool connected() const;
  /// Waits up to `limit` for connected() or the process's end; returns connected().
  bool wait_connected(std::chrono::milliseconds limit);
  ~PktcapProcess();

  std::optional<int64_t> pid() const;
  const std::vector<std::string>& argv() const { return argv_; }
  /// A copy of what stderr said so far.
  PktcapStatus status() const;
  std::vector<std::string> stderr_lines() const;
  uint64_t bytes() const;
  bool exited() const;
  std::optional<ProcessExit> exit_info() const;

  /// Current health. With `port` (switch port id + MAC) it also asks the host whether
  /// the port is still there (one `net-stats -l`), reporting Deaf when not.
  Result<CaptureHealth> health(PortResolver* resolver = nullptr,
                               std::optional<std::pair<int64_t, std::string>> port = std::nullopt);

  /// Stops the capture (stop_pktcap_pid), then waits up to opt.exit_wait for the
  /// channel to deliver pktcap-uw's final counts. Fails with "pktcap.no-pid" when the
  /// PID never arrived (nothing is killed then; the channel is closed).
  Result<StopReport> stop(const StopOptions& opt = {}, const Sleeper& sleep = real_sleeper());

 private:
  PktcapProcess(HostConnection& conn, std::vector<std::string> argv);

  HostConnection& conn_;
  std::vector<std::string> argv_;
  std::unique_ptr<RemoteProcess> proc_;
  std::function<void(std::string_view)> on_pcap_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  PktcapStatus status_;
  std::vector<std::string> lines_;
  uint64_t bytes_ = 0;
  std::optional<int64_t> pid_;
  bool connected_ = false;
  std::optional<ProcessExit> exit_;
  bool stopped_ = false;
};

}  // namespace vmc::host
