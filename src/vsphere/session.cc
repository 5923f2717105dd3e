#include "vsphere/session.h"

#include <thread>

#include "util/backoff.h"
#include "vsphere/api_version.h"

namespace vmc::vsphere {
namespace {

class RealSleeper : public Sleeper {
 public:
  void sleep(std::chrono::milliseconds d) override { std::this_thread::sleep_for(d); }
};

std::string path_of(const std::string& url) {
  auto scheme = url.find("://");
  auto slash = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  return slash == std::string::npos ? std::string("/sdk") : url.substr(slash);
}

}  // namespace

// The connection failed, or vCenter answered 502/503/504 while it restarts its services
// (SoapBinding says so with Transient); a 4xx will not get better.
bool is_connection_error(const Error& e) { return e.is(ErrorKind::Transient); }

Session::Session(ConnectOptions options, HttpWire* wire, Sleeper* sleeper, int max_reconnects)
    : options_(std::move(options)), wire_(wire), sleeper_(sleeper), max_reconnects_(max_reconnects) {
  if (!sleeper_) {
    own_sleeper_ = std::make_unique<RealSleeper>();
    sleeper_ = own_sleeper_.get();
  }
}

Session::~Session() = default;

Status Session::open() {
  vim_.reset();
  binding_ = std::make_unique<SoapBinding>(options_.url, wire_);
  vim_ = std::make_unique<VimClient>(*binding_);
  binding_->set_timeouts(15, io_timeout_);
  if (options_.url.rfind("https://", 0) == 0) {
    TlsOptions tls{options_.ca_file, options_.insecure, options_.thumbprint};
    if (auto st = binding_->configure_tls(tls); !st) return st;
  }
  // The first exchange carries no secret: the TLS handshake is verified here, before
  // Login sends the password.
  auto versions = binding_->http_get(path_of(options_.url) + "/vimServiceVersions.xml");
  if (!versions.ok()) {
    // Unreachable, or TLS refused or set up wrong: no later request would do better.
    const Error& e = versions.error();
    if (is_connection_error(e) || e.is(ErrorKind::Refused) || e.is(ErrorKind::Invalid)) {
      return versions.error();
    }
    binding_->set_api_version("");  // unknown: let the server use its default
  } else if (auto v = pick_api_version(*versions); v.ok()) {
    binding_->set_api_version(*v);
  } else {
    return v.error();
  }
  auto sc = vim_->retrieve_service_content();
  if (!sc.ok()) return sc.error();
  service_ = *sc;
  return {};
}

Status Session::login() {
  if (service_.session_manager.empty()) {
    return Error("vsphere.login", options_.url + " has no SessionManager: not a vCenter/ESXi SDK?");
  }
  auto s = vim_->login(service_.session_manager, options_.user, options_.password);
  if (!s.ok()) {
    if (s.error().is(ErrorKind::Refused)) {
      return s.error().reworded("login to " + options_.url + " as " + options_.user +
                                " refused: " + s.error().message);
    }
    return s.error();
  }
  session_ = *s;
  ++generation_;
  return {};
}

Status Session::connect() {
  if (auto st = open(); !st) return st;
  return login();
}

Status Session::reconnect_with_backoff(int& attempts) {
  Status last;
  const util::Backoff delays(std::chrono::seconds(1), std::chrono::seconds(30));
  while (attempts < max_reconnects_) {
    sleeper_->sleep(delays.delay_for(attempts));
    ++attempts;
    last = connect();
    if (last.ok()) return last;
    if (!is_connection_error(last.error())) return last;
  }
  const std::string gave_up = "gave up reconnecting to " + options_.url + " after " +
                              std::to_string(max_reconnects_) + " attempts";
  if (last.ok()) return Error("vsphere.connect", gave_up, ErrorKind::Transient);
  return last.error().reworded(gave_up + ": " + last.error().message);
}

void Session::set_io_timeout(int seconds) {
  io_timeout_ = seconds;
  if (binding_) binding_->set_timeouts(15, seconds);
}

Status Session::logout() {
  if (!vim_ || service_.session_manager.empty()) return {};
  return vim_->logout(service_.session_manager);
}

}  // namespace vmc::vsphere
