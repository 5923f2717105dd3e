#include "host/ssh_connection.h"

#include <condition_variable>
#include <cstdlib>

#include "host/ssh_connection_impl.h"
#include "host/ssh_login.h"
#include "util/shell_quote.h"

namespace vmc::host {

using ssh::Chan;
using ssh::Clock;
using ssh::Event;
using ssh::release_channel;

namespace {

void on_exit_status(ssh_session, ssh_channel, int status, void* userdata) {
  static_cast<Chan*>(userdata)->exit_status = status;
}

void on_exit_signal(ssh_session, ssh_channel, const char* signal, int, const char*, const char*,
                    void* userdata) {
  static_cast<Chan*>(userdata)->exit_signal = signal ? signal : "?";
}

}  // namespace

Result<std::shared_ptr<Chan>> SshConnection::Impl::open(const std::string& command, bool framed,
                                                       ProcessCallbacks cb) {
  auto c = std::make_shared<Chan>();
  c->framed = framed;
  c->cb = std::move(cb);
  std::vector<Event> events;
  Result<std::shared_ptr<Chan>> result = c;
  {
    std::lock_guard<std::mutex> g(mu);
    if (!up) return Error("ssh.disconnected", opts.host + ": not connected", ErrorKind::Transient);
    ssh_channel ch = ssh_channel_new(session);
    if (!ch || ssh_channel_open_session(ch) != SSH_OK) {
      std::string err = ssh_get_error(session);
      if (ch) ssh_channel_free(ch);
      // A clear refusal ("administratively prohibited", MaxSessions) leaves the
      // connection usable; no answer at all (libssh reports an empty error or a
      // timeout) means it is dead: drop it so the backoff reconnects.
      bool dead = !ssh_is_connected(session) || err.empty() || err.find("imeout") != std::string::npos;
      if (err.empty()) err = "no answer within " + std::to_string(opts.stall_timeout.count()) + " s";
      result = Error(dead ? "ssh.disconnected" : "ssh.channel",
                     opts.host + ": cannot open an SSH channel: " + err,
                     dead ? ErrorKind::Transient : ErrorKind::Failed);
      if (dead) drop_locked(err, events);
    } else {
      c->cbs.userdata = c.get();
      c->cbs.channel_exit_status_function = on_exit_status;
      c->cbs.channel_exit_signal_function = on_exit_signal;
      ssh_callbacks_init(&c->cbs);
      ssh_set_channel_callbacks(ch, &c->cbs);
      if (ssh_channel_request_exec(ch, command.c_str()) != SSH_OK) {
        std::string err = ssh_get_error(session);
        ssh_remove_channel_callbacks(ch, &c->cbs);
        ssh_channel_free(ch);
        result = Error("ssh.exec", opts.host + ": the host refused to run a command: " + err);
      } else {
        c->ch = ch;
        chans.push_back(c);
        last_rx = Clock::now();
      }
    }
  }
  ssh::deliver(events);
  return result;
}

void SshConnection::Impl::close_chan(const std::shared_ptr<Chan>& c, const std::string& why) {
  {
    std::lock_guard<std::recursive_mutex> g(c->cb_mu);
    if (!c->exit_sent) {
      c->exit_sent = true;
      c->finished = true;
      ProcessExit e;
      e.detail = why;
      if (c->cb.on_exit) c->cb.on_exit(e);
    }
    c->user_closed = true;
  }
  std::lock_guard<std::mutex> g(mu);
  release_channel(*c, /*close_first=*/true);
  chans.remove(c);
}

namespace {

class SshProcess : public RemoteProcess {
 public:
  SshProcess(std::shared_ptr<SshConnection::Impl> impl, std::shared_ptr<Chan> c)
      : impl_(std::move(impl)), c_(std::move(c)) {}
  ~SshProcess() override { close(); }
  std::optional<int64_t> pid() const override {
    int64_t p = c_->pid;
    return p > 0 ? std::optional<int64_t>(p) : std::nullopt;
  }
  bool finished() const override { return c_->finished; }
  void close() override { impl_->close_chan(c_, "channel closed by vm-capture"); }

 private:
  std::shared_ptr<SshConnection::Impl> impl_;
  std::shared_ptr<Chan> c_;
};

}  // namespace

SshConnection::SshConnection(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

Result<std::unique_ptr<SshConnection>> SshConnection::connect(const SshOptions& opts) {
  auto impl = std::make_shared<Impl>(opts);
  {
    std::lock_guard<std::mutex> g(impl->mu);
    if (auto st = impl->connect_locked(); !st) return st.error();
  }
  Impl* raw = impl.get();
  raw->io = std::thread([raw] { raw->io_loop(); });
  return std::unique_ptr<SshConnection>(new SshConnection(std::move(impl)));
}

SshConnection::~SshConnection() {
  impl_->stop = true;
  if (impl_->io.joinable()) impl_->io.join();
  std::vector<Event> events;
  {
    std::lock_guard<std::mutex> g(impl_->mu);
    for (auto& c : impl_->chans) {
      release_channel(*c, /*close_first=*/true);
      Event e{c, Event::Exit, {}, {}};
      e.exit.detail = impl_->opts.host + ": connection closed by vm-capture";
      events.push_back(std::move(e));
    }
    impl_->chans.clear();
    if (impl_->session) {
      ssh_disconnect(impl_->session);
      ssh_free(impl_->session);
      impl_->session = nullptr;
    }
    std::lock_guard<std::mutex> st(impl_->state_mu);
    impl_->up = false;
  }
  ssh::deliver(events);
}

std::string SshConnection::host() const { return impl_->opts.host; }

bool SshConnection::connected() const {
  std::lock_guard<std::mutex> g(impl_->state_mu);
  return impl_->up;
}

int SshConnection::reconnects() const {
  std::lock_guard<std::mutex> g(impl_->state_mu);
  return impl_->reconnects;
}

std::string SshConnection::host_key_fingerprint() const {
  std::lock_guard<std::mutex> g(impl_->state_mu);
  return impl_->fingerprint;
}

bool SshConnection::keepalive_waiting() const { return impl_->keepalive_waiting; }

Status SshConnection::ensure_connected() {
  // Only the state: never the session, which a keepalive may hold for a round trip.
  std::lock_guard<std::mutex> g(impl_->state_mu);
  if (impl_->up) return {};
  // The I/O thread reconnects; the caller is not held up by a host that is down.
  impl_->reconnect_wanted = true;
  const auto now = Clock::now();
  const std::string when =
      now < impl_->next_attempt
          ? "next reconnection attempt in " +
                std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(impl_->next_attempt - now).count()) +
                " ms"
          : "reconnecting";
  // A refused host key or login, or a wrong ssh config, does not go away by itself:
  // keep its code and kind.
  const ErrorKind kind = impl_->last_error_kind;
  const bool refusal = kind == ErrorKind::Refused || kind == ErrorKind::Invalid;
  return Error(refusal ? impl_->last_error_code : "ssh.disconnected",
               impl_->opts.host + ": SSH connection lost (" + impl_->last_error + "); " + when,
               refusal ? kind : ErrorKind::Transient);
}

Result<ExecResult> SshConnection::run(const std::vector<std::string>& argv,
                                      std::chrono::milliseconds timeout, size_t max_output) {
  if (std::this_thread::get_id() == impl_->io.get_id()) {
    return Error("ssh.reentrant", host() + ": run() called from a process callback; call it from "
                                           "another thread");
  }
  if (auto st = ensure_connected(); !st) return st.error();
  auto line = plain_command(argv);
  if (!line) return line.error();

  struct Shared {
    std::mutex m;
    std::condition_variable cv;
    ExecResult r;
    bool done = false;
    bool overflow = false;
    std::optional<ProcessExit> exit;
  };
  auto sh = std::make_shared<Shared>();
  ProcessCallbacks cb;
  cb.on_stdout = [sh, max_output](std::string_view d) {
    std::lock_guard<std::mutex> g(sh->m);
    if (sh->r.out.size() + d.size() > max_output) sh->overflow = true;
    else sh->r.out.append(d);
  };
  cb.on_stderr_line = [sh, max_output](std::string_view l) {
    std::lock_guard<std::mutex> g(sh->m);
    if (sh->r.err.size() + l.size() + 1 > max_output) sh->overflow = true;
    else sh->r.err.append(l).append("\n");
  };
  cb.on_exit = [sh](const ProcessExit& e) {
    std::lock_guard<std::mutex> g(sh->m);
    sh->exit = e;
    sh->done = true;
    sh->cv.notify_all();
  };
  auto started = Clock::now();
  auto c = impl_->open(*line, false, std::move(cb));
  if (!c) return c.error();
  std::unique_lock<std::mutex> lk(sh->m);
  bool finished = sh->cv.wait_for(lk, timeout, [&] { return sh->done || sh->overflow; });
  lk.unlock();
  if (!finished || sh->overflow) {
    impl_->close_chan(*c, "abandoned");
    if (sh->overflow) {
      return Error("remote.too-much-output", host() + ": `" + *line + "` printed more than " +
                                                 std::to_string(max_output) + " bytes");
    }
    {
      // No byte from the host since we asked: treat the connection as dead.
      std::vector<Event> events;
      {
        std::lock_guard<std::mutex> g(impl_->mu);
        if (impl_->up && impl_->last_rx < started) impl_->drop_locked("no answer within the timeout", events);
      }
      ssh::deliver(events);
    }
    return Error("ssh.timeout", host() + ": `" + *line + "` did not finish within " +
                                    std::to_string(timeout.count()) + " ms");
  }
  std::lock_guard<std::mutex> g(sh->m);
  if (sh->exit->connection_lost) return Error("ssh.disconnected", sh->exit->detail, ErrorKind::Transient);
  ExecResult r = std::move(sh->r);
  r.exit_status = sh->exit->status.value_or(-1);
  return r;
}

Result<std::unique_ptr<RemoteProcess>> SshConnection::start(const std::vector<std::string>& argv,
                                                            ProcessCallbacks cb) {
  if (auto st = ensure_connected(); !st) return st.error();
  auto line = pid_framed_command(argv);
  if (!line) return line.error();
  auto c = impl_->open(*line, true, std::move(cb));
  if (!c) return c.error();
  return std::unique_ptr<RemoteProcess>(new SshProcess(impl_, *c));
}

}  // namespace vmc::host
