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

namespace {

Result<std::unique_ptr<SshHostControl>> open_ssh(const SshSettings& settings, const model::HostInfo& host) {
  host::SshOptions o;
  o.host = host.name.empty() ? host.mgmt_address : host.name;
  o.user = settings.user;
  o.ssh_config = settings.ssh_config;
  o.known_hosts = settings.known_hosts;
  o.password = settings.password;
  o.identity_files = settings.identity_files;
  o.host_key_policy =
      settings.accept_new_host_keys ? host::HostKeyPolicy::AcceptNew : host::HostKeyPolicy::Strict;
  auto conn = host::SshConnection::connect(o);
  if (!conn.ok()) return conn.error();
  return std::make_unique<SshHostControl>(host, std::move(*conn));
}

}  // namespace

SshHostConnector::SshHostConnector(SshSettings settings, std::optional<std::chrono::milliseconds> first_wait)
    : SshHostConnector([settings = std::move(settings)](const model::HostInfo& h) { return open_ssh(settings, h); },
                       first_wait) {}

SshHostConnector::SshHostConnector(Opener opener, std::optional<std::chrono::milliseconds> first_wait)
    : opener_(std::move(opener)), first_wait_(first_wait) {}

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

void SshHostConnector::start_attempt(const std::shared_ptr<Entry>& e, const model::HostInfo& host,
                                     bool report) {
  e->connecting = true;
  e->failed.reset();
  std::lock_guard lk(mu_);
  threads_.emplace_back([this, e, host, report] {
    auto port = opener_(host);
    std::lock_guard elk(e->mu);
    if (port.ok()) {
      e->port = std::move(*port);
    } else if (report) {
      e->failed = port.error();
    }
    e->connecting = false;
    e->done.notify_all();
  });
}

Result<orchestrator::HostControl*> SshHostConnector::connect(const model::HostInfo& host) {
  auto port = connect_ssh(host);
  if (!port.ok()) return port.error();
  return static_cast<orchestrator::HostControl*>(*port);
}

Result<SshHostControl*> SshHostConnector::connect_ssh(const model::HostInfo& host) {
  auto e = entry(host);
  std::unique_lock lk(e->mu);
  auto take_failure = [&] {
    Error err = std::move(*e->failed);  // the attempt's error, reported once
    e->failed.reset();
    return err;
  };
  while (!e->port) {
    if (e->failed) return take_failure();
    const bool started = !e->connecting;
    if (started) start_attempt(e, host, /*report=*/true);
    auto ended = [&] { return !e->connecting; };
    if (!first_wait_) {
      // Until it ends; a prepare() attempt that failed is followed by one of ours.
      e->done.wait(lk, ended);
      continue;
    }
    if (started) e->done.wait_for(lk, *first_wait_, ended);
    if (e->failed) return take_failure();
    if (!e->port) {
      return Error("ssh.connecting",
                   "connecting over SSH to " + (host.name.empty() ? host.mgmt_address : host.name) +
                       " (not answering yet)",
                   ErrorKind::Pending);
    }
  }
  if (auto* conn = dynamic_cast<host::SshConnection*>(&e->port->connection())) {
    auto st = conn->ensure_connected();
    if (!st.ok()) return st.error();
  }
  return e->port.get();
}

void SshHostConnector::prepare(const model::HostInfo& host) {
  auto e = entry(host);
  std::lock_guard lk(e->mu);
  if (e->port || e->connecting) return;  // connected, or being connected
  const auto now = std::chrono::steady_clock::now();
  if (e->prepared != std::chrono::steady_clock::time_point{} && now - e->prepared < kPrepareRetry)
    return;
  e->prepared = now;
  start_attempt(e, host, /*report=*/false);
}

}  // namespace vmc::session
