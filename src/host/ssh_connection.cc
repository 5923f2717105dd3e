#include "host/ssh_connection.h"

#include <libssh/callbacks.h>
#include <libssh/libssh.h>
#include <libssh/server.h>  // ssh_send_keepalive
#include <poll.h>
#include <sys/stat.h>

#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <list>
#include <mutex>
#include <thread>

#include "host/remote_command.h"
#include "util/shell_quote.h"

namespace vmc::host {
namespace {

using Clock = std::chrono::steady_clock;

// One exec channel. `ch`, `exit_*` and `eof` are guarded by Impl::mu; the callbacks
// by cb_mu (held while calling them, so close() can wait out a running callback).
struct Chan {
  ssh_channel ch = nullptr;
  bool framed = false;
  PidLineSplitter pid_splitter;  // I/O thread only
  LineSplitter err_lines;        // I/O thread only
  std::optional<int> exit_status;
  std::string exit_signal;
  ssh_channel_callbacks_struct cbs{};

  std::recursive_mutex cb_mu;
  ProcessCallbacks cb;
  bool user_closed = false;
  bool exit_sent = false;
  std::atomic<bool> finished{false};
  std::atomic<int64_t> pid{0};
};

// Closes and frees the channel. libssh keeps a freed channel until the remote's close
// arrives and may still call its callbacks then (an exit-status after our kill): they
// point into the Chan, which may be gone by then, so they are removed first.
void release_channel(Chan& c, bool close_first) {
  if (!c.ch) return;
  ssh_remove_channel_callbacks(c.ch, &c.cbs);
  if (close_first) ssh_channel_close(c.ch);
  ssh_channel_free(c.ch);
  c.ch = nullptr;
}

void on_exit_status(ssh_session, ssh_channel, int status, void* userdata) {
  static_cast<Chan*>(userdata)->exit_status = status;
}

void on_exit_signal(ssh_session, ssh_channel, const char* signal, int, const char*, const char*,
                    void* userdata) {
  static_cast<Chan*>(userdata)->exit_signal = signal ? signal : "?";
}

std::string home_path(const char* rel) {
  const char* h = std::getenv("HOME");
  return std::string(h ? h : "") + "/" + rel;
}

void mkdir_parent(const std::string& file) {
  size_t slash = file.rfind('/');
  if (slash == std::string::npos || slash == 0) return;
  std::string dir = file.substr(0, slash);
  ::mkdir(dir.c_str(), 0700);  // one level (~/.ssh); a failure shows up when writing
}

// The host refused our trust (its key) or our login: no retry helps until someone acts.
Error refused(std::string code, std::string message) {
  return Error(std::move(code), std::move(message), ErrorKind::Refused);
}

// Event for the callbacks, collected under mu and delivered after releasing it.
struct Event {
  std::shared_ptr<Chan> chan;
  enum Kind { Pid, Out, ErrLine, Exit } kind;
  std::string data;
  ProcessExit exit;
};

}  // namespace

struct SshConnection::Impl {
  SshOptions opts;
  mutable std::mutex mu;  // the session and every channel
  ssh_session session = nullptr;
  bool up = false;
  std::list<std::shared_ptr<Chan>> chans;
  std::string fingerprint;
  std::string display_host;
  util::Backoff backoff;
  Clock::time_point next_attempt{};
  int reconnects = 0;
  Clock::time_point last_rx = Clock::now();
  Clock::time_point last_keepalive = Clock::now();
  std::string last_error;
  ErrorKind last_error_kind = ErrorKind::Failed;  // of the last failed reconnection attempt
  std::string last_error_code;
  bool reconnect_wanted = false;

  std::atomic<bool> stop{false};
  std::thread io;

  explicit Impl(const SshOptions& o) : opts(o), backoff(o.reconnect_initial, o.reconnect_max) {}

  // ---- connecting -------------------------------------------------------------------

  /// Installs a session open_session made (mu held).
  void install_locked(ssh_session s, std::string fp) {
    session = s;
    fingerprint = std::move(fp);
    up = true;
    last_rx = Clock::now();
    last_keepalive = last_rx;
  }

  Status connect_locked() {
    std::string fp;
    auto s = open_session(fp);
    if (!s) return s.error();
    install_locked(*s, std::move(fp));
    return {};
  }

  /// A new connected, verified and authenticated session; reads only opts, so the I/O
  /// thread can reconnect without holding mu. `fp` gets the host key's fingerprint.
  Result<ssh_session> open_session(std::string& fp) {
    ssh_session s = ssh_new();
    if (!s) return Error("ssh.connect", opts.host + ": cannot allocate an SSH session");
    auto fail = [&](Error e) -> Result<ssh_session> {
      ssh_disconnect(s);
      ssh_free(s);
      return e;
    };
    ssh_options_set(s, SSH_OPTIONS_HOST, opts.host.c_str());
    if (opts.ssh_config == "none") {
      int no = 0;
      ssh_options_set(s, SSH_OPTIONS_PROCESS_CONFIG, &no);
    } else {
      std::string path = opts.ssh_config.empty() ? home_path(".ssh/config") : opts.ssh_config;
      struct stat st{};
      if (::stat(path.c_str(), &st) == 0 && ssh_options_parse_config(s, path.c_str()) != SSH_OK) {
        return fail(Error("ssh.config",
                          opts.host + ": cannot read ssh config " + path + ": " + ssh_get_error(s),
                          ErrorKind::Invalid));
      }
    }
    int verbosity = opts.log_verbosity;
    ssh_options_set(s, SSH_OPTIONS_LOG_VERBOSITY, &verbosity);
    if (!opts.user.empty()) ssh_options_set(s, SSH_OPTIONS_USER, opts.user.c_str());
    if (opts.port > 0) {
      unsigned int port = static_cast<unsigned int>(opts.port);
      ssh_options_set(s, SSH_OPTIONS_PORT, &port);
    }
    for (const auto& id : opts.identity_files) ssh_options_set(s, SSH_OPTIONS_ADD_IDENTITY, id.c_str());
    // An explicit file wins; otherwise ssh_config's UserKnownHostsFile or ~/.ssh/known_hosts.
    if (!opts.known_hosts.empty()) ssh_options_set(s, SSH_OPTIONS_KNOWNHOSTS, opts.known_hosts.c_str());
    std::string kh = home_path(".ssh/known_hosts");
    char* khv = nullptr;
    if (ssh_options_get(s, SSH_OPTIONS_KNOWNHOSTS, &khv) == SSH_OK && khv) {
      kh = khv;
      ssh_string_free_char(khv);
    }
    long timeout = static_cast<long>(opts.connect_timeout.count());
    ssh_options_set(s, SSH_OPTIONS_TIMEOUT, &timeout);

    if (ssh_connect(s) != SSH_OK) {
      return fail(Error("ssh.connect", opts.host + ": cannot connect: " + ssh_get_error(s) +
                                           ". Check the address, port and that sshd runs on the host "
                                           "(ESXi: enable the SSH service)."));
    }
    if (auto st = check_host_key(s, kh, fp); !st) return fail(st.error());
    if (auto st = authenticate(s); !st) return fail(st.error());
    // Connected: no request may block longer than a stall (the I/O thread would hang).
    long stall = static_cast<long>(opts.stall_timeout.count());
    ssh_options_set(s, SSH_OPTIONS_TIMEOUT, &stall);
    return s;
  }

  /// One reconnection attempt, made by the I/O thread once the connection was lost and
  /// someone asked for it (ensure_connected); mu is not held while connecting, so
  /// callers are told "reconnecting" at once instead of waiting for a dead host.
  void reconnect_in_background() {
    {
      std::lock_guard<std::mutex> g(mu);
      if (up || !reconnect_wanted || Clock::now() < next_attempt) return;
    }
    std::string fp;
    auto s = open_session(fp);
    std::lock_guard<std::mutex> g(mu);
    if (!s) {
      last_error = s.error().message;
      last_error_code = s.error().code;
      last_error_kind = s.error().kind;
      next_attempt = Clock::now() + backoff.next_delay();
      return;
    }
    install_locked(*s, std::move(fp));
    reconnect_wanted = false;
    last_error_code.clear();
    last_error_kind = ErrorKind::Failed;
    backoff.reset();
    ++reconnects;
  }

  Status check_host_key(ssh_session s, const std::string& kh, std::string& fp) {
    ssh_key key = nullptr;
    if (ssh_get_server_publickey(s, &key) != SSH_OK) {
      return refused("ssh.hostkey", opts.host + ": the server sent no host key: " + ssh_get_error(s));
    }
    unsigned char* hash = nullptr;
    size_t hlen = 0;
    int rc = ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash, &hlen);
    ssh_key_free(key);
    if (rc != SSH_OK) return refused("ssh.hostkey", opts.host + ": cannot hash the host key");
    char* raw = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, hlen);
    ssh_clean_pubkey_hash(&hash);
    fp = raw ? raw : "";
    ssh_string_free_char(raw);

    switch (ssh_session_is_known_server(s)) {
      case SSH_KNOWN_HOSTS_OK:
        return {};
      case SSH_KNOWN_HOSTS_CHANGED:
      case SSH_KNOWN_HOSTS_OTHER:
        return refused("ssh.hostkey-changed",
                     opts.host + ": the host key CHANGED (now " + fp + ", not the key in " + kh +
                         "). This can be a man-in-the-middle attack or a reinstalled host. Verify the "
                         "fp on the host's console, then remove the old line from " + kh + ".");
      case SSH_KNOWN_HOSTS_UNKNOWN:
      case SSH_KNOWN_HOSTS_NOT_FOUND:
        if (opts.host_key_policy == HostKeyPolicy::AcceptNew) {
          mkdir_parent(kh);
          if (ssh_session_update_known_hosts(s) != SSH_OK) {
            return refused("ssh.hostkey", opts.host + ": cannot add the host key " + fp +
                                            " to " + kh + ": " + ssh_get_error(s));
          }
          return {};
        }
        return refused("ssh.hostkey-unknown",
                     opts.host + ": host key " + fp + " is not in " + kh +
                         ". Compare it with the key on the host's console, then connect once with "
                         "host key policy accept-new (or `ssh " + opts.host + "`) to record it.");
      case SSH_KNOWN_HOSTS_ERROR:
        break;
    }
    return refused("ssh.hostkey", opts.host + ": cannot check the host key against " + kh + ": " +
                                    ssh_get_error(s));
  }

  Status authenticate(ssh_session s) {
    int rc = ssh_userauth_none(s, nullptr);
    if (rc == SSH_AUTH_SUCCESS) return {};
    int methods = ssh_userauth_list(s, nullptr);
    std::string tried;
    if (methods & SSH_AUTH_METHOD_PUBLICKEY) {
      tried += "agent/public key";
      if (ssh_userauth_publickey_auto(s, nullptr, nullptr) == SSH_AUTH_SUCCESS) return {};
    }
    if (opts.password) {
      if (methods & SSH_AUTH_METHOD_PASSWORD) {
        tried += tried.empty() ? "password" : ", password";
        if (ssh_userauth_password(s, nullptr, opts.password->c_str()) == SSH_AUTH_SUCCESS) return {};
      }
      if (methods & SSH_AUTH_METHOD_INTERACTIVE) {
        tried += tried.empty() ? "keyboard-interactive" : ", keyboard-interactive";
        rc = ssh_userauth_kbdint(s, nullptr, nullptr);
        for (int round = 0; rc == SSH_AUTH_INFO && round < 5; ++round) {
          int n = ssh_userauth_kbdint_getnprompts(s);
          for (int i = 0; i < n; ++i) {
            char echo = 0;
            ssh_userauth_kbdint_getprompt(s, static_cast<unsigned>(i), &echo);
            ssh_userauth_kbdint_setanswer(s, static_cast<unsigned>(i), echo ? "" : opts.password->c_str());
          }
          rc = ssh_userauth_kbdint(s, nullptr, nullptr);
        }
        if (rc == SSH_AUTH_SUCCESS) return {};
      }
    }
    std::string offered;
    if (methods & SSH_AUTH_METHOD_PUBLICKEY) offered += " publickey";
    if (methods & SSH_AUTH_METHOD_PASSWORD) offered += " password";
    if (methods & SSH_AUTH_METHOD_INTERACTIVE) offered += " keyboard-interactive";
    return refused("ssh.auth", opts.host + ": authentication failed (tried: " +
                                 (tried.empty() ? "nothing usable" : tried) + "; the server offers:" +
                                 (offered.empty() ? " none" : offered) +
                                 "). Load a key into ssh-agent, name one with IdentityFile in "
                                 "ssh_config, or provide a password.");
  }

  // ---- losing the connection (mu held) ---------------------------------------------

  void drop_locked(const std::string& why, std::vector<Event>& events) {
    last_error = why;
    const auto heard = std::chrono::system_clock::now() -
                       std::chrono::duration_cast<std::chrono::system_clock::duration>(Clock::now() - last_rx);
    for (auto& c : chans) {
      release_channel(*c, /*close_first=*/false);
      Event e{c, Event::Exit, {}, {}};
      e.exit.connection_lost = true;
      e.exit.last_heard = heard;
      e.exit.detail = opts.host + ": SSH connection lost: " + why;
      events.push_back(std::move(e));
    }
    chans.clear();
    if (session) {
      ssh_disconnect(session);
      ssh_free(session);
      session = nullptr;
    }
    up = false;
    next_attempt = Clock::now() + backoff.next_delay();
  }

  // ---- the I/O thread --------------------------------------------------------------

  static void deliver(std::vector<Event>& events) {
    for (auto& e : events) {
      std::lock_guard<std::recursive_mutex> g(e.chan->cb_mu);
      if (e.chan->user_closed || e.chan->exit_sent) continue;
      switch (e.kind) {
        case Event::Pid:
          if (e.chan->cb.on_pid) e.chan->cb.on_pid(e.chan->pid);
          break;
        case Event::Out:
          if (e.chan->cb.on_stdout) e.chan->cb.on_stdout(e.data);
          break;
        case Event::ErrLine:
          if (e.chan->cb.on_stderr_line) e.chan->cb.on_stderr_line(e.data);
          break;
        case Event::Exit:
          e.chan->exit_sent = true;
          e.chan->finished = true;
          if (e.chan->cb.on_exit) e.chan->cb.on_exit(e.exit);
          break;
      }
    }
    events.clear();
  }

  // Reads what is available on every channel; returns true when bytes arrived.
  bool pump_locked(std::vector<Event>& events) {
    if (!up) return false;
    bool activity = false;
    static thread_local char buf[65536];
    for (auto it = chans.begin(); it != chans.end();) {
      auto c = *it;
      bool gone = false;
      for (int stream = 0; stream < 2 && !gone; ++stream) {
        for (int round = 0; round < 16; ++round) {
          int n = ssh_channel_read_nonblocking(c->ch, buf, sizeof buf, stream);
          if (n == SSH_ERROR) {
            drop_locked(ssh_get_error(session), events);
            return true;
          }
          if (n <= 0) break;
          activity = true;
          last_rx = Clock::now();
          std::string_view data(buf, static_cast<size_t>(n));
          if (stream == 1) {
            c->err_lines.feed(data, [&](std::string_view l) {
              events.push_back({c, Event::ErrLine, std::string(l), {}});
            });
          } else if (c->framed) {
            bool had_pid = c->pid_splitter.pid().has_value();
            auto st = c->pid_splitter.feed(data, [&](std::string_view d) {
              if (!had_pid && c->pid_splitter.pid()) {
                // The PID event goes before the first payload bytes.
                had_pid = true;
                c->pid = *c->pid_splitter.pid();
                events.push_back({c, Event::Pid, {}, {}});
              }
              events.push_back({c, Event::Out, std::string(d), {}});
            });
            if (!had_pid && c->pid_splitter.pid()) {
              c->pid = *c->pid_splitter.pid();
              events.push_back({c, Event::Pid, {}, {}});
            }
            if (!st) {
              Event e{c, Event::Exit, {}, {}};
              e.exit.detail = opts.host + ": " + st.error().message;
              events.push_back(std::move(e));
              gone = true;
            }
          } else {
            events.push_back({c, Event::Out, std::string(data), {}});
          }
        }
      }
      bool eof = c->ch && ssh_channel_is_eof(c->ch) && ssh_channel_poll(c->ch, 0) <= 0 &&
                 ssh_channel_poll(c->ch, 1) <= 0;
      bool closed = c->ch && ssh_channel_is_closed(c->ch);
      if (!gone && (closed || (eof && (c->exit_status || !c->exit_signal.empty())))) {
        c->err_lines.finish([&](std::string_view l) {
          events.push_back({c, Event::ErrLine, std::string(l), {}});
        });
        Event e{c, Event::Exit, {}, {}};
        e.exit.status = c->exit_status;
        e.exit.signal = c->exit_signal;
        e.exit.detail = c->exit_status ? "exited with status " + std::to_string(*c->exit_status)
                        : !c->exit_signal.empty() ? "killed by SIG" + c->exit_signal
                                                  : "channel closed without an exit status";
        events.push_back(std::move(e));
        gone = true;
      }
      if (gone) {
        release_channel(*c, /*close_first=*/true);
        it = chans.erase(it);
      } else {
        ++it;
      }
    }
    if (up && !ssh_is_connected(session)) {
      drop_locked(ssh_get_error(session), events);
      return true;
    }
    auto now = Clock::now();
    if (up && now - last_rx > opts.keepalive_interval && now - last_keepalive > opts.keepalive_interval) {
      last_keepalive = now;
      // libssh waits for the answer (up to stall_timeout): one that came back sooner
      // is the host heard from.
      ssh_send_keepalive(session);
      const auto after = Clock::now();
      if (!ssh_is_connected(session) || (ssh_get_status(session) & (SSH_CLOSED | SSH_CLOSED_ERROR))) {
        drop_locked(std::string("keepalive failed: ") + ssh_get_error(session), events);
        return true;
      }
      if (after - now < opts.stall_timeout - std::chrono::milliseconds(200)) last_rx = after;
      now = after;
    }
    if (up && now - last_rx > opts.stall_timeout) {
      drop_locked("nothing heard from the host for " +
                      std::to_string(std::chrono::duration_cast<std::chrono::seconds>(now - last_rx).count()) +
                      " s (keepalives unanswered)",
                  events);
      return true;
    }
    return activity;
  }

  void io_loop() {
    std::vector<Event> events;
    while (!stop) {
      bool activity;
      int fd = -1;
      {
        std::lock_guard<std::mutex> g(mu);
        activity = pump_locked(events);
        if (up) fd = ssh_get_fd(session);
      }
      deliver(events);
      if (activity) continue;
      if (fd < 0) reconnect_in_background();
      if (fd >= 0) {
        pollfd p{fd, POLLIN, 0};
        ::poll(&p, 1, 20);
      } else {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    }
  }

  // ---- opening channels ------------------------------------------------------------

  Result<std::shared_ptr<Chan>> open(const std::string& command, bool framed, ProcessCallbacks cb) {
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
    deliver(events);
    return result;
  }

  void close_chan(const std::shared_ptr<Chan>& c, const std::string& why) {
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
};

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
    impl_->up = false;
  }
  Impl::deliver(events);
}

std::string SshConnection::host() const { return impl_->opts.host; }

bool SshConnection::connected() const {
  std::lock_guard<std::mutex> g(impl_->mu);
  return impl_->up;
}

int SshConnection::reconnects() const {
  std::lock_guard<std::mutex> g(impl_->mu);
  return impl_->reconnects;
}

std::string SshConnection::host_key_fingerprint() const {
  std::lock_guard<std::mutex> g(impl_->mu);
  return impl_->fingerprint;
}

Status SshConnection::ensure_connected() {
  std::lock_guard<std::mutex> g(impl_->mu);
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
      Impl::deliver(events);
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
