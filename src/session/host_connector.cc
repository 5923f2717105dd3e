#include "session/host_connector.h"

#include <cstdlib>

namespace vmc::session {

namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

}  // namespace

SshSettings SshSettings::from_env() {
  SshSettings s;
  s.ssh_config = env("VMC_SSH_CONFIG");
  s.known_hosts = env("VMC_SSH_KNOWN_HOSTS");
  s.user = env("VMC_SSH_USER");
  if (const char* p = std::getenv("VMC_SSH_PASSWORD"); p && *p) s.password = p;
  if (auto id = env("VMC_SSH_IDENTITY"); !id.empty()) s.identity_files.push_back(id);
  return s;
}

Result<orchestrator::HostPort*> SshHostConnector::connect(const model::HostInfo& host) {
  std::lock_guard lk(mu_);
  auto key = host.ref.value.empty() ? host.name : host.ref.value;
  if (auto it = hosts_.find(key); it != hosts_.end()) {
    auto* conn = dynamic_cast<host::SshConnection*>(&it->second->connection());
    if (conn) {
      auto st = conn->ensure_connected();
      if (!st.ok()) return st.error();
    }
    return static_cast<orchestrator::HostPort*>(it->second.get());
  }
  host::SshOptions o;
  o.host = host.name.empty() ? host.mgmt_address : host.name;
  o.user = settings_.user;
  o.ssh_config = settings_.ssh_config;
  o.known_hosts = settings_.known_hosts;
  o.password = settings_.password;
  o.identity_files = settings_.identity_files;
  o.host_key_policy =
      settings_.accept_new_host_keys ? host::HostKeyPolicy::AcceptNew : host::HostKeyPolicy::Strict;
  auto conn = host::SshConnection::connect(o);
  if (!conn.ok()) return conn.error();
  auto port = std::make_unique<SshHostPort>(host, std::move(*conn));
  auto* raw = port.get();
  hosts_[key] = std::move(port);
  return static_cast<orchestrator::HostPort*>(raw);
}

}  // namespace vmc::session
