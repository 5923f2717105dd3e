// A logged-in vim25 session that stays usable: it picks the API version, verifies TLS
// before any credential leaves the machine, re-logs in when the server answers
// NotAuthenticated (expired session), and reconnects with backoff when the connection
// breaks (vCenter restart). Internal to src/vsphere.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "util/result.h"
#include "vsphere/connect_options.h"
#include "vsphere/http_wire.h"
#include "vsphere/sleeper.h"
#include "vsphere/soap_binding.h"
#include "vsphere/types.h"
#include "vsphere/vim_client.h"

namespace vmc::vsphere {

/// True for failures that a new connection may cure (refused, reset, 5xx).
bool is_connection_error(const Error& e);

class Session {
 public:
  /// `wire` (tests) replaces the network; `sleeper` defaults to really sleeping.
  Session(ConnectOptions options, HttpWire* wire = nullptr, Sleeper* sleeper = nullptr,
          int max_reconnects = 6);
  ~Session();

  /// Versions, ServiceContent, Login. InvalidLogin keeps the server's reason.
  Status connect();
  Status logout();

  VimClient& vim() { return *vim_; }
  const ServiceInfo& service() const { return service_; }
  const SessionInfo& session() const { return session_; }
  const ConnectOptions& options() const { return options_; }
  /// Socket receive/send timeout; must exceed any WaitForUpdatesEx maxWaitSeconds.
  void set_io_timeout(int seconds);
  /// Grows at every successful (re)login: server-side objects made before (filters,
  /// collectors, views) are gone when it changes, and must be created again.
  uint64_t generation() const { return generation_; }

  /// Runs `fn(VimClient&)` (which returns a Result); on NotAuthenticated logs in again
  /// and retries once; on a connection error reconnects with backoff and retries.
  template <typename Fn>
  auto run(Fn&& fn) -> decltype(fn(std::declval<VimClient&>())) {
    auto r = fn(*vim_);
    int relogins = 0;
    int reconnects = 0;
    while (!r.ok()) {
      Error e = r.error();
      if (e.code == "NotAuthenticated" && relogins++ == 0) {
        if (auto st = login(); !st) return st.error();
      } else if (is_connection_error(e) && reconnects < max_reconnects_) {
        Status st = reconnect_with_backoff(reconnects);
        if (!st) return st.error();
      } else {
        return r;
      }
      r = fn(*vim_);
    }
    return r;
  }

 private:
  Status open();
  Status login();
  Status reconnect_with_backoff(int& attempts);

  ConnectOptions options_;
  HttpWire* wire_;
  Sleeper* sleeper_;
  std::unique_ptr<Sleeper> own_sleeper_;
  int max_reconnects_;
  std::unique_ptr<SoapBinding> binding_;
  std::unique_ptr<VimClient> vim_;
  ServiceInfo service_;
  SessionInfo session_;
  uint64_t generation_ = 0;
  int io_timeout_ = 60;
};

}  // namespace vmc::vsphere
