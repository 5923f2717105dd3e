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

SshHostConnector::~SshHostConnector() {
  std::vector<std::thread> threads;
  {
    std::lock_guard lk(mu_);
    threads.swap(threads_);
  }
  for (auto& t : threads) t.join();
}

std::shared_ptr<SshHostConnector::Entry> SshHostConnector::entry(const model::HostInfo& host) {
  std::lock_guard lk(mu_);
  auto key = host.ref.value.empty() ? host.name : host.ref.value;
  auto& e = entries_[key];
  if (!e) e = std::make_shared<Entry>();
  return e;
}

Result<std::unique_ptr<SshHostPort>> SshHostConnector::open(const model::HostInfo& host) const {
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
  return std::make_unique<SshHostPort>(host, std::move(*conn));
}

Result<orchestrator::HostPort*> SshHostConnector::connect(const model::HostInfo& host) {
  auto e = entry(host);
  std::lock_guard lk(e->mu);
  if (e->port) {
    auto* conn = dynamic_cast<host::SshConnection*>(&e->port->connection());
    if (conn) {
      auto st = conn->ensure_connected();
      if (!st.ok()) return st.error();
    }
    return static_cast<orchestrator::HostPort*>(e->port.get());
  }
  auto port = open(host);
  if (!port.ok()) return port.error();
  e->port = std::move(*port);
  return static_cast<orchestrator::HostPort*>(e->port.get());
}

void SshHostConnector::prepare(const model::HostInfo& host) {
  auto e = entry(host);
  {
    std::unique_lock lk(e->mu, std::try_to_lock);
    if (!lk.owns_lock() || e->port) return;  // being connected, or connected
    const auto now = std::chrono::steady_clock::now();
    if (e->prepared != std::chrono::steady_clock::time_point{} && now - e->prepared < kPrepareRetry)
      return;
    e->prepared = now;
  }
  std::lock_guard lk(mu_);
  threads_.emplace_back([this, e, host] {
    std::lock_guard elk(e->mu);
    if (e->port) return;
    if (auto port = open(host); port.ok()) e->port = std::move(*port);
  });
}

}  // namespace vmc::session
