// The seam between vm-capture and one ESXi host: run short commands, start long ones.
// The real implementation is SshConnection (ssh_connection.h, libssh); tests use
// FakeHostConnection (fake_host_connection.h).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.h"

namespace vmc::host {

struct ExecResult {
  int exit_status = -1;  // -1 when the host sent none (killed by a signal, channel lost)
  std::string out;
  std::string err;
};

/// How a started process ended.
struct ProcessExit {
  ProcessExit() = default;
  ProcessExit(std::optional<int> st, std::string sig, bool lost, std::string text,
              std::optional<std::chrono::system_clock::time_point> heard = std::nullopt)
      : status(st), signal(std::move(sig)), connection_lost(lost), detail(std::move(text)),
        last_heard(heard) {}
  std::optional<int> status;     // exit status when the host reported one
  std::string signal;            // "TERM", "KILL", ... when it died of a signal
  bool connection_lost = false;  // the SSH connection broke: its fate on the host is unknown
  std::string detail;            // human text for logs
  /// connection_lost: when the host was last heard from (anything it sent, a keepalive
  /// answer); what the process produced after that is lost.
  std::optional<std::chrono::system_clock::time_point> last_heard;
};

/// Called from the connection's I/O thread (never concurrently for one process).
struct ProcessCallbacks {
  std::function<void(int64_t pid)> on_pid;                // once, when the PID line arrived
  std::function<void(std::string_view bytes)> on_stdout;  // after the PID line
  std::function<void(std::string_view line)> on_stderr_line;
  std::function<void(const ProcessExit&)> on_exit;  // exactly once
};

/// A command started with HostConnection::start. Destroying it closes the channel; it
/// does not kill the remote process (stop it with `kill <pid()>`).
class RemoteProcess {
 public:
  virtual ~RemoteProcess() = default;
  /// The remote PID (from the first stdout line), once known.
  virtual std::optional<int64_t> pid() const = 0;
  virtual bool finished() const = 0;
  /// Closes the channel without waiting. on_exit is still called once.
  virtual void close() = 0;
};

class HostConnection {
 public:
  virtual ~HostConnection() = default;

  /// The host's name as vm-capture knows it (for messages).
  virtual std::string host() const = 0;

  /// Runs argv (quoted with util::shell_join) to completion and returns its output.
  /// A non-zero exit status is not an error here; failures to run at all are
  /// ("ssh.*" codes). Output beyond `max_output` bytes fails with "remote.too-much-output".
  virtual Result<ExecResult> run(const std::vector<std::string>& argv,
                                 std::chrono::milliseconds timeout = std::chrono::seconds(60),
                                 size_t max_output = 16 << 20) = 0;

  /// Starts argv framed as `sh -c 'echo $$; exec ARGV'` (remote_command.h). Stdout
  /// bytes after the PID line and stderr lines arrive through `cb`.
  virtual Result<std::unique_ptr<RemoteProcess>> start(const std::vector<std::string>& argv,
                                                       ProcessCallbacks cb) = 0;
};

/// Splits a byte stream into lines (without '\n' or a trailing '\r'). Lines longer than
/// `max_line` are cut into pieces of that size so untrusted output cannot grow memory.
class LineSplitter {
 public:
  explicit LineSplitter(size_t max_line = 4096) : max_(max_line) {}
  void feed(std::string_view data, const std::function<void(std::string_view)>& line);
  /// Emits a last line without newline, if any.
  void finish(const std::function<void(std::string_view)>& line);

 private:
  size_t max_;
  std::string buf_;
};

}  // namespace vmc::host
