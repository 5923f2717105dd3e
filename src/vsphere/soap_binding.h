// One gSOAP context speaking vim25 to one endpoint: TLS set-up (CA file, insecure, or a
// pinned SHA-256 thumbprint), the SOAPAction version, the vmware_soap_session cookie,
// and the conversion of every failure (SOAP fault, TLS, TCP, HTTP, XML) into vmc::Error.
// Internal to src/vsphere: it includes the generated gSOAP headers.
#pragma once

#include <string>

#include "soapH.h"
#include "util/result.h"
#include "vsphere/http_wire.h"

namespace vmc::vsphere {

/// The largest reply accepted from vCenter (headers and body). A larger one is refused
/// with "vsphere.too-large" as soon as the limit is passed, so a broken or hostile server
/// cannot make the client parse gigabytes (the parsed objects take several times the
/// XML's size). Legitimate replies are far smaller: results come in pages.
inline constexpr unsigned long long kMaxReplyBytes = 64ULL << 20;

struct TlsOptions {
  std::string ca_file;     // PEM file of trusted CAs; empty = the system's default store
  bool insecure = false;   // no certificate verification at all
  std::string thumbprint;  // SHA-256 fingerprint ("AB:CD:.." or hex) pinning the server cert
};

class SoapBinding {
 public:
  /// `endpoint` is the SOAP URL, "https://vc.example.com/sdk". With `wire` set, every
  /// request goes through it instead of a socket (tests); the binding does not own it.
  explicit SoapBinding(std::string endpoint, HttpWire* wire = nullptr);
  ~SoapBinding();
  SoapBinding(const SoapBinding&) = delete;
  SoapBinding& operator=(const SoapBinding&) = delete;

  struct soap* soap() { return soap_; }
  const std::string& endpoint() const { return endpoint_; }

  /// The API version sent as SOAPAction "urn:vim25/<version>" (e.g. "8.0.2.0").
  void set_api_version(const std::string& version);
  const std::string& api_version() const { return version_; }

  /// The session cookie, `vmware_soap_session="..."`, learnt from Set-Cookie. A secret:
  /// never log it.
  const std::string& session_cookie() const { return cookie_; }
  void set_session_cookie(std::string cookie) { cookie_ = std::move(cookie); }

  /// Verification is on unless `insecure`; a thumbprint replaces CA and host-name checks.
  Status configure_tls(const TlsOptions& tls);
  void set_timeouts(int connect_seconds, int io_seconds);

  /// Frees every object the previous call deserialized and every request object
  /// allocated in this context. Call before building the next request.
  void reset();

  /// Runs one generated client stub (soap_call___vim25__X) and converts its outcome.
  template <typename Req, typename Resp>
  Status call(const char* operation,
              int (*stub)(struct soap*, const char*, const char*, Req*, Resp&), Req& req,
              Resp& resp) {
    before_call();
    int rc = stub(soap_, endpoint_.c_str(), action_.c_str(), &req, resp);
    return after_call(operation, rc);
  }

  /// HTTP GET of `path` on the endpoint's server ("/sdk/vimServiceVersions.xml").
  Result<std::string> http_get(const std::string& path);

  // Used by the C callbacks installed in the gSOAP context.
  struct WireState;
  WireState* wire_state() { return wire_state_; }
  struct PinHolder {
    std::string expected;  // lower-case hex, no separators
    std::string seen;      // what the server presented, for the error message
    bool mismatch = false;
  };
  void note_header(const char* key, const char* value);

 private:
  void before_call();
  Status after_call(const char* operation, int rc);
  Error error_from_soap(const char* operation, int rc);

  struct soap* soap_ = nullptr;
  std::string endpoint_;
  std::string version_;
  std::string action_;
  std::string cookie_;
  std::string extra_header_;
  std::string thumbprint_;  // normalised lower-case hex, empty when not pinned
  WireState* wire_state_ = nullptr;
  PinHolder* pin_ = nullptr;
  int (*default_parsehdr_)(struct soap*, const char*, const char*) = nullptr;

  friend int binding_parse_header(struct soap*, const char*, const char*);
};

}  // namespace vmc::vsphere
