// orchestrator::HostConnector over SSH: one SshConnection per host, made on first use
// and reused. Host names are SSH aliases, so `Host esx01` entries of the ssh_config
// apply; the password (if any) comes from the environment, never from a flag.
#pragma once

#include <map>
#include <memory>
#include <mutex>

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
  Result<orchestrator::HostPort*> connect(const model::HostInfo& host) override;

 private:
  SshSettings settings_;
  std::mutex mu_;
  std::map<std::string, std::unique_ptr<SshHostPort>> hosts_;
};

}  // namespace vmc::session
