// orchestrator::HostConnector over SSH: one SshConnection per host, made on first use
// and reused. Host names are SSH aliases, so `Host esx01` entries of the ssh_config
// apply; the password (if any) comes from the environment, never from a flag.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "host/ssh_connection.h"
#include "orchestrator/seams.h"
#include "session/ssh_host_control.h"

namespace vmc::session {

struct SshSettings {
  std::string ssh_config;   // empty: ~/.ssh/config
  std::string known_hosts;  // empty: ~/.ssh/known_hosts
  std::string user;         // empty: ssh_config or "root"
  std::optional<std::string> password;
  std::vector<std::string> identity_files;
  bool accept_new_host_keys = false;

  /// VMC_SSH_CONFIG, VMC_SSH_KNOWN_HOSTS, VMC_SSH_USER, VMC_SSH_PASSWORD,
  /// VMC_SSH_IDENTITY from the environment.
  static SshSettings from_env();
};

class SshHostConnector : public orchestrator::HostConnector {
 public:
  /// Makes a host's SSH connection (the real one: host::SshConnection).
  using Opener = std::function<Result<std::unique_ptr<SshHostControl>>(const model::HostInfo&)>;

  /// `first_wait`: how long connect() waits for a host's first connection, which is made
  /// on a background thread. nullopt: until it is made or fails (cleanup, dry run). A
  /// session gives a bound: a host that does not answer (a blackholed address holds the
  /// TCP connect for its whole timeout, 15 s) must not hold up the captures on the other
  /// hosts; connect() then says "ssh.connecting" and the next call gets the result.
  explicit SshHostConnector(SshSettings settings,
                            std::optional<std::chrono::milliseconds> first_wait = std::nullopt);
  SshHostConnector(Opener opener, std::optional<std::chrono::milliseconds> first_wait);
  ~SshHostConnector() override;
  SshHostConnector(const SshHostConnector&) = delete;
  SshHostConnector& operator=(const SshHostConnector&) = delete;

  /// The host's port once connected. Not yet connected: starts connecting (unless an
  /// attempt runs) and waits up to `first_wait` for it; an attempt started by an earlier
  /// call is not waited for (bounded mode). Errors: the attempt's own (ssh.hostkey,
  /// ssh.auth, ssh.connect, ...), each reported once, the next call trying again; or
  /// "ssh.connecting" while it runs. Connected before: the connection's state
  /// (ssh.disconnected while it is being re-made in the background).
  Result<orchestrator::HostControl*> connect(const model::HostInfo& host) override;
  /// The same, as the SSH host port it is (on-host output uses its connection).
  Result<SshHostControl*> connect_ssh(const model::HostInfo& host);
  /// Connects on a background thread (at most once per kPrepareRetry per host). Its
  /// failure is not reported: connect() tries again.
  void prepare(const model::HostInfo& host) override;

 private:
  struct Entry {
    std::mutex mu;
    std::condition_variable done;  // an attempt ended
    std::unique_ptr<SshHostControl> port;
    bool connecting = false;
    std::optional<Error> failed;  // a connect()-started attempt's error, not reported yet
    std::chrono::steady_clock::time_point prepared{};
  };
  static constexpr std::chrono::seconds kPrepareRetry{30};

  std::shared_ptr<Entry> entry(const model::HostInfo& host);
  /// Starts an attempt on its own thread; `e->mu` is held by the caller.
  void start_attempt(const std::shared_ptr<Entry>& e, const model::HostInfo& host, bool report);

  Opener opener_;
  std::optional<std::chrono::milliseconds> first_wait_;
  std::mutex mu_;  // guards entries_ and threads_
  std::map<std::string, std::shared_ptr<Entry>> entries_;
  std::vector<std::thread> threads_;
};

}  // namespace vmc::session
