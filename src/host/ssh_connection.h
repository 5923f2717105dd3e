// HostConnection over SSH (libssh). One TCP/SSH connection per host, reused for every
// command: short commands (run) and long ones (start) are exec channels on it. A single
// I/O thread per connection reads every channel non-blockingly and calls the
// callbacks (ssh_io.cc); opening the session is ssh_login.cc's. libssh types never leave
// these files (ssh_connection_impl.h is their shared, internal header).
//
// Security defaults: the host key must already be in the known_hosts file (unknown or
// changed keys are refused, the message gives the SHA256 fingerprint); AcceptNew adds
// an unknown key (never a changed one). Passwords come from the caller, are only
// handed to libssh, and are never logged or put on a command line.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "host/host_connection.h"
#include "util/backoff.h"

namespace vmc::host {

enum class HostKeyPolicy { Strict, AcceptNew };

struct SshOptions {
  /// Host alias or address; `Host <alias>` entries of ssh_config apply (HostName, Port,
  /// User, IdentityFile, ...).
  std::string host;
  std::string user;                 // empty: ssh_config, else the local user
  int port = 0;                     // 0: ssh_config, else 22
  std::vector<std::string> identity_files;  // added to ssh_config's and the defaults
  std::string known_hosts;          // empty: ~/.ssh/known_hosts
  std::string ssh_config;           // empty: ~/.ssh/config; "none": read no config
  HostKeyPolicy host_key_policy = HostKeyPolicy::Strict;
  std::optional<std::string> password;  // tried after agent/key auth; never logged
  std::chrono::seconds connect_timeout{15};
  /// A keepalive request (which the host must answer) is sent after this much idle time.
  std::chrono::seconds keepalive_interval{2};
  /// A connection from which nothing has been heard for this long, keepalives
  /// included, is closed and every running process ends with connection_lost (its
  /// last_heard says since when). Also the longest a single request to the host
  /// (opening a channel, a keepalive) may block once connected.
  std::chrono::seconds stall_timeout{6};
  /// libssh's own log verbosity (0 = silent, 1 = warnings ... 4); ssh_config's LogLevel
  /// does not apply, so libssh never writes to our stderr unless asked.
  int log_verbosity = 0;
  util::Backoff::ms reconnect_initial{1000};
  util::Backoff::ms reconnect_max{5000};  // a host back after an outage is found again soon
};

class SshConnection : public HostConnection {
 public:
  /// Connects, checks the host key and authenticates. Codes: "ssh.config",
  /// "ssh.connect", "ssh.hostkey-unknown", "ssh.hostkey-changed", "ssh.hostkey",
  /// "ssh.auth".
  static Result<std::unique_ptr<SshConnection>> connect(const SshOptions& opts);

  ~SshConnection() override;
  SshConnection(const SshConnection&) = delete;
  SshConnection& operator=(const SshConnection&) = delete;

  std::string host() const override;
  /// Must not be called from a process callback (the I/O thread): fails with
  /// "ssh.reentrant" there.
  Result<ExecResult> run(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                         size_t max_output) override;
  Result<std::unique_ptr<RemoteProcess>> start(const std::vector<std::string>& argv,
                                               ProcessCallbacks cb) override;

  /// True while the SSH connection is up.
  bool connected() const;
  /// Succeeds when connected. It never blocks: it reads only the connection's state
  /// (not the session, which a keepalive holds while it waits). Once the connection
  /// was lost it asks
  /// the I/O thread to reconnect in the background (honouring the backoff) and fails
  /// at once with "ssh.disconnected" (saying when the next attempt is due), or with the
  /// last attempt's code when the host refused us ("ssh.hostkey-*", "ssh.auth").
  /// run() and start() call it first.
  Status ensure_connected();
  /// How many times the connection was re-established.
  int reconnects() const;
  /// True while a keepalive waits for the host's answer (after keepalive_interval of
  /// silence). It holds the SSH session, never the state ensure_connected() and the
  /// other accessors read: they answer at once meanwhile.
  bool keepalive_waiting() const;
  /// SHA256 fingerprint of the server's host key ("SHA256:...").
  std::string host_key_fingerprint() const;

  struct Impl;

 private:
  explicit SshConnection(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;  // shared with the RemoteProcess handles
};

}  // namespace vmc::host
