// Internals of SshConnection shared by its two files: ssh_io.cc (the I/O thread: reading
// every channel, keepalives, losing and re-making the connection) and ssh_connection.cc
// (the public API: connecting, opening channels, run and start). Internal to src/host;
// libssh types go no further.
#pragma once

#include <libssh/callbacks.h>
#include <libssh/libssh.h>

#include <atomic>
#include <chrono>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "host/remote_command.h"
#include "host/ssh_connection.h"

namespace vmc::host::ssh {

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
void release_channel(Chan& c, bool close_first);

// Event for the callbacks, collected under mu and delivered after releasing it.
struct Event {
  std::shared_ptr<Chan> chan;
  enum Kind { Pid, Out, ErrLine, Exit } kind;
  std::string data;
  ProcessExit exit;
};

/// Calls the callbacks of `events` (no lock of the connection held) and clears them.
void deliver(std::vector<Event>& events);

}  // namespace vmc::host::ssh

namespace vmc::host {

struct SshConnection::Impl {
  explicit Impl(const SshOptions& o) : opts(o), backoff(o.reconnect_initial, o.reconnect_max) {}

  const SshOptions opts;

  // The libssh session and every channel: held by whoever talks to the host (the I/O
  // thread's reads and keepalives, opening and closing channels).
  mutable std::mutex mu;
  ssh_session session = nullptr;
  std::list<std::shared_ptr<ssh::Chan>> chans;
  ssh::Clock::time_point last_rx = ssh::Clock::now();         // the host last heard from
  ssh::Clock::time_point last_keepalive = ssh::Clock::now();  // the last one sent

  // The connection's state, for callers: written with both `mu` and `state_mu` held,
  // read with either. ensure_connected() and the accessors take `state_mu` only, so
  // they never wait for a round trip to the host (a keepalive holds `mu` for one).
  mutable std::mutex state_mu;
  bool up = false;
  std::string fingerprint;
  util::Backoff backoff;
  ssh::Clock::time_point next_attempt{};
  int reconnects = 0;
  std::string last_error;
  ErrorKind last_error_kind = ErrorKind::Failed;  // of the last failed reconnection attempt
  std::string last_error_code;
  bool reconnect_wanted = false;  // someone asked since the connection was lost
  std::atomic<bool> keepalive_waiting{false};

  std::atomic<bool> stop{false};
  std::thread io;

  // ---- ssh_io.cc ----
  /// Installs a session open_ssh_session made (mu held).
  void install_locked(ssh_session s, std::string fp);
  /// The first connection, made by the caller of connect() (mu held).
  Status connect_locked();
  /// One reconnection attempt, made by the I/O thread once the connection was lost and
  /// someone asked for it (ensure_connected); mu is not held while connecting, so
  /// callers are told "reconnecting" at once instead of waiting for a dead host.
  void reconnect_in_background();
  /// The connection is lost: every channel ends with connection_lost (mu held).
  void drop_locked(const std::string& why, std::vector<ssh::Event>& events);
  /// Reads what is available on every channel, keeps the connection alive; returns true
  /// when bytes arrived (mu held).
  bool pump_locked(std::vector<ssh::Event>& events);
  /// After keepalive_interval of silence, one keepalive, which the host must answer; a
  /// connection silent for stall_timeout is dropped. Returns true when it was (mu held).
  bool keepalive_locked(std::vector<ssh::Event>& events);
  void io_loop();

  // ---- ssh_connection.cc ----
  Result<std::shared_ptr<ssh::Chan>> open(const std::string& command, bool framed, ProcessCallbacks cb);
  void close_chan(const std::shared_ptr<ssh::Chan>& c, const std::string& why);
};

}  // namespace vmc::host
