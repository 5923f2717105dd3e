// A recording HostConnection for tests (here and in other modules): run() answers from a
// table of exact command lines (or a handler), start() hands out processes the test
// drives by hand. Single-threaded: callbacks run inside the test's calls.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "host/host_connection.h"

namespace vmc::host {

/// What a test holds of a started process.
struct FakeProcess {
  std::vector<std::string> argv;
  ProcessCallbacks cb;
  int64_t pid = 0;
  bool pid_sent = false;
  bool finished = false;
  bool closed = false;

  /// Delivers the PID line (makes pid() known).
  void send_pid();
  void emit_stdout(std::string_view bytes);
  void emit_stderr_line(std::string_view line);
  /// Ends the process (calls on_exit once).
  void exit(ProcessExit e);
};

class FakeHostConnection : public HostConnection {
 public:
  explicit FakeHostConnection(std::string host = "esx01") : host_(std::move(host)) {}

  /// run() of exactly this command line (util::shell_join of argv) returns `r`.
  void respond(const std::string& command_line, ExecResult r) { table_[command_line] = std::move(r); }
  /// Consulted before the table when set.
  std::function<std::optional<Result<ExecResult>>(const std::vector<std::string>&)> handler;
  /// When set, start() fails with it.
  std::optional<Error> start_error;
  /// Called by start() with the new process before it returns (to script output).
  std::function<void(FakeProcess&)> on_start;
  /// start() delivers the PID line at once (like a host that runs `echo $$`).
  bool auto_pid = true;

  std::string host() const override { return host_; }
  Result<ExecResult> run(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                         size_t max_output) override;
  Result<std::unique_ptr<RemoteProcess>> start(const std::vector<std::string>& argv,
                                               ProcessCallbacks cb) override;

  /// Every run() and start(), as shell_join(argv), in order; start() lines are prefixed
  /// "start: ".
  std::vector<std::string> commands_ran;
  std::vector<std::shared_ptr<FakeProcess>> processes;
  int64_t next_pid = 4000;

 private:
  std::string host_;
  std::map<std::string, ExecResult> table_;
};

}  // namespace vmc::host
