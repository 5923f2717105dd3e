// orchestrator::HostConnector over SSH: one SshConnection per host, made on first use
// and reused. Host names are SSH aliases, so `Host esx01` entries of the ssh_config
// apply; the password (if any) comes from the environment, never from a flag.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "host/ssh_connection.h"
#include "orchestrator/ports.h"
#include "session/ssh_host_port.h"

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
  explicit SshHostConnector(SshSettings settings) : settings_(std::move(settings)) {}
  ~SshHostConnector() override;
  SshHostConnector(const SshHostConnector&) = delete;
  SshHostConnector& operator=(const SshHostConnector&) = delete;

  Result<orchestrator::HostPort*> connect(const model::HostInfo& host) override;
  /// Connects on a background thread (at most once per kPrepareRetry per host).
  void prepare(const model::HostInfo& host) override;

 private:
  /// One host: its mutex is held while connecting, so connect() waits for a
  /// connection prepare() is making instead of making a second one.
  struct Entry {
    std::mutex mu;
    std::unique_ptr<SshHostPort> port;
    std::chrono::steady_clock::time_point prepared{};
  };
  static constexpr std::chrono::seconds kPrepareRetry{30};

  std::shared_ptr<Entry> entry(const model::HostInfo& host);
  Result<std::unique_ptr<SshHostPort>> open(const model::HostInfo& host) const;

  SshSettings settings_;
  std::mutex mu_;  // guards entries_ and threads_
  std::map<std::string, std::shared_ptr<Entry>> entries_;
  std::vector<std::thread> threads_;
};

}  // namespace vmc::session
