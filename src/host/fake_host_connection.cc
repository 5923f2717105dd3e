#include "host/fake_host_connection.h"

#include "util/shell_quote.h"

namespace vmc::host {

void FakeProcess::send_pid() {
  if (pid_sent) return;
  pid_sent = true;
  if (cb.on_pid && !closed) cb.on_pid(pid);
}

void FakeProcess::emit_stdout(std::string_view bytes) {
  if (!pid_sent) send_pid();
  if (cb.on_stdout && !closed) cb.on_stdout(bytes);
}

void FakeProcess::emit_stderr_line(std::string_view line) {
  if (cb.on_stderr_line && !closed) cb.on_stderr_line(line);
}

void FakeProcess::exit(ProcessExit e) {
  if (finished) return;
  finished = true;
  if (cb.on_exit) cb.on_exit(e);
}

namespace {

class FakeRemote : public RemoteProcess {
 public:
  explicit FakeRemote(std::shared_ptr<FakeProcess> p) : p_(std::move(p)) {}
  ~FakeRemote() override { close(); }
  std::optional<int64_t> pid() const override {
    return p_->pid_sent ? std::optional<int64_t>(p_->pid) : std::nullopt;
  }
  bool finished() const override { return p_->finished; }
  void close() override {
    if (p_->closed) return;
    p_->closed = true;
    ProcessExit e;
    e.detail = "channel closed";
    p_->exit(e);
  }

 private:
  std::shared_ptr<FakeProcess> p_;
};

}  // namespace

Result<ExecResult> FakeHostConnection::run(const std::vector<std::string>& argv,
                                           std::chrono::milliseconds, size_t) {
  auto line = util::shell_join(argv);
  if (!line) return line.error();
  commands_ran.push_back(*line);
  if (handler) {
    if (auto r = handler(argv)) return *r;
  }
  auto it = table_.find(*line);
  if (it != table_.end()) return it->second;
  ExecResult r;
  r.exit_status = 127;
  r.err = "sh: " + (argv.empty() ? std::string() : argv[0]) + ": not found (fake: no response scripted)\n";
  return r;
}

Result<std::unique_ptr<RemoteProcess>> FakeHostConnection::start(const std::vector<std::string>& argv,
                                                                 ProcessCallbacks cb) {
  auto line = util::shell_join(argv);
  if (!line) return line.error();
  commands_ran.push_back("start: " + *line);
  if (start_error) return *start_error;
  auto p = std::make_shared<FakeProcess>();
  p->argv = argv;
  p->cb = std::move(cb);
  p->pid = next_pid++;
  processes.push_back(p);
  auto handle = std::unique_ptr<RemoteProcess>(new FakeRemote(p));
  if (auto_pid) p->send_pid();
  if (on_start) on_start(*p);
  return handle;
}

}  // namespace vmc::host
