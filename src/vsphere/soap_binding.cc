#include "vsphere/soap_binding.h"

#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <strings.h>

#include <cctype>
#include <cstring>
#include <optional>

#include "vsphere/fault.h"
#include "vsphere/vim_types.h"

namespace vmc::vsphere {

struct SoapBinding::WireState {
  HttpWire* wire = nullptr;
  std::string out;
  std::string in;
  size_t pos = 0;
  bool exchanged = false;
  std::optional<Error> error;
};

namespace {

SoapBinding* self(struct soap* s) { return static_cast<SoapBinding*>(s->user); }

// ---- In-memory transport through an HttpWire (tests) ----

// Any value that is not SOAP_INVALID_SOCKET; no descriptor is behind it because every
// I/O callback below is replaced.
constexpr SOAP_SOCKET kWireSocket = 0x3ffffff0;

SOAP_SOCKET wire_open(struct soap* s, const char*, const char*, int) {
  auto* w = self(s)->wire_state();
  w->out.clear();
  w->in.clear();
  w->pos = 0;
  w->exchanged = false;
  w->error.reset();
  return kWireSocket;
}

int wire_send(struct soap* s, const char* data, size_t n) {
  self(s)->wire_state()->out.append(data, n);
  return SOAP_OK;
}

size_t wire_recv(struct soap* s, char* buf, size_t n) {
  auto* w = self(s)->wire_state();
  if (!w->exchanged) {
    w->exchanged = true;
    auto reply = w->wire->exchange(w->out);
    if (!reply.ok()) {
      w->error = reply.error();
      return 0;
    }
    w->in = std::move(reply.value());
  }
  size_t left = w->in.size() - w->pos;
  size_t k = left < n ? left : n;
  std::memcpy(buf, w->in.data() + w->pos, k);
  w->pos += k;
  return k;
}

int wire_close(struct soap*) { return SOAP_OK; }
int wire_poll(struct soap*) { return SOAP_OK; }
int wire_closesocket(struct soap*, SOAP_SOCKET) { return SOAP_OK; }
int wire_shutdownsocket(struct soap*, SOAP_SOCKET, int) { return SOAP_OK; }

// ---- Certificate pinning ----

using PinState = SoapBinding::PinHolder;

int pin_index() {
  static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

std::string hex(const unsigned char* p, unsigned n) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  out.reserve(n * 2);
  for (unsigned i = 0; i < n; ++i) {
    out.push_back(digits[p[i] >> 4]);
    out.push_back(digits[p[i] & 15]);
  }
  return out;
}

// OpenSSL calls this for every certificate of the chain, the server's own last (depth 0).
// With a pin, the chain and the host name do not matter: only the server certificate's
// SHA-256 does.
int pin_verify(int ok, X509_STORE_CTX* store) {
  auto* ssl = static_cast<SSL*>(
      X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
  if (!ssl) return ok;
  auto* pin = static_cast<PinState*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), pin_index()));
  if (!pin) return ok;
  if (X509_STORE_CTX_get_error_depth(store) > 0) {
    X509_STORE_CTX_set_error(store, X509_V_OK);
    return 1;
  }
  X509* cert = X509_STORE_CTX_get_current_cert(store);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  if (!cert || X509_digest(cert, EVP_sha256(), md, &len) != 1) return 0;
  pin->seen = hex(md, len);
  if (pin->seen != pin->expected) {
    pin->mismatch = true;
    return 0;
  }
  pin->mismatch = false;
  X509_STORE_CTX_set_error(store, X509_V_OK);
  return 1;
}

std::string colon_hex(const std::string& h) {
  std::string out;
  for (size_t i = 0; i < h.size(); i += 2) {
    if (i) out.push_back(':');
    out.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(h[i]))));
    if (i + 1 < h.size())
      out.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(h[i + 1]))));
  }
  return out;
}

std::string soap_text(struct soap* s) {
  char buf[1024];
  buf[0] = '\0';
  soap_sprint_fault(s, buf, sizeof buf);
  std::string text(buf);
  // soap_sprint_fault writes "Error N fault is internal [no subcode]\n"<string>"\nDetail: .."
  for (char& c : text) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  while (!text.empty() && text.back() == ' ') text.pop_back();
  return text;
}

// Error messages carry text from the server (fault strings, HTTP reasons). Make it one
// readable line: no control bytes (a hostile server must not drive the terminal the log
// goes to) and at most kMaxErrorText bytes, cut at a character boundary.
constexpr size_t kMaxErrorText = 1000;

Error readable(Error e) {
  std::string& m = e.message;
  for (char& c : m) {
    const auto u = static_cast<unsigned char>(c);
    if (u == '\n' || u == '\r' || u == '\t') {
      c = ' ';
    } else if (u < 0x20 || u == 0x7f) {
      c = '?';
    }
  }
  if (m.size() > kMaxErrorText) {
    size_t cut = kMaxErrorText;
    while (cut > 0 && (static_cast<unsigned char>(m[cut]) & 0xc0) == 0x80) --cut;
    m = m.substr(0, cut) + "... (" + std::to_string(m.size()) + " bytes)";
  }
  return e;
}

std::string server_of(const std::string& endpoint) {
  auto scheme = endpoint.find("://");
  size_t start = scheme == std::string::npos ? 0 : scheme + 3;
  auto slash = endpoint.find('/', start);
  return endpoint.substr(0, slash);
}

}  // namespace

int binding_parse_header(struct soap* s, const char* key, const char* value) {
  auto* b = self(s);
  b->note_header(key, value);
  return b->default_parsehdr_(s, key, value);
}

SoapBinding::SoapBinding(std::string endpoint, HttpWire* wire) : endpoint_(std::move(endpoint)) {
  soap_ = soap_new1(SOAP_C_UTFSTRING);
  soap_->user = this;
  default_parsehdr_ = soap_->fparsehdr;
  soap_->fparsehdr = binding_parse_header;
  soap_->connect_timeout = 15;
  soap_->recv_timeout = 60;
  soap_->send_timeout = 60;
  soap_->recv_maxlength = kMaxReplyBytes;
  if (wire) {
    wire_state_ = new WireState;
    wire_state_->wire = wire;
    soap_->fopen = wire_open;
    soap_->fsend = wire_send;
    soap_->frecv = wire_recv;
    soap_->fclose = wire_close;
    soap_->fpoll = wire_poll;
    soap_->fclosesocket = wire_closesocket;
    soap_->fshutdownsocket = wire_shutdownsocket;
  } else {
    soap_set_omode(soap_, SOAP_IO_KEEPALIVE);
    soap_set_imode(soap_, SOAP_IO_KEEPALIVE);
  }
  set_api_version("");
}

SoapBinding::~SoapBinding() {
  if (soap_->ctx) SSL_CTX_set_ex_data(soap_->ctx, pin_index(), nullptr);
  soap_destroy(soap_);
  soap_end(soap_);
  soap_free(soap_);
  delete wire_state_;
  delete pin_;
}

void SoapBinding::set_api_version(const std::string& version) {
  version_ = version;
  action_ = version.empty() ? "urn:vim25" : "urn:vim25/" + version;
}

void SoapBinding::set_timeouts(int connect_seconds, int io_seconds) {
  soap_->connect_timeout = connect_seconds;
  soap_->recv_timeout = io_seconds;
  soap_->send_timeout = io_seconds;
}

Status SoapBinding::configure_tls(const TlsOptions& tls) {
  unsigned short flags = SOAP_TLSv1_2 | SOAP_TLSv1_3;
  if (tls.insecure) {
    flags |= SOAP_SSL_NO_AUTHENTICATION;
  } else if (!tls.thumbprint.empty()) {
    std::string want;
    for (char c : tls.thumbprint) {
      if (c == ':' || c == ' ') continue;
      if (!std::isxdigit(static_cast<unsigned char>(c))) {
        return Error("vsphere.tls.thumbprint",
                     "thumbprint '" + tls.thumbprint +
                         "' is not hexadecimal: give the SHA-256 fingerprint as shown by "
                         "`openssl x509 -noout -fingerprint -sha256`", ErrorKind::Invalid);
      }
      want.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    }
    if (want.size() != 64) {
      return Error("vsphere.tls.thumbprint",
                   "thumbprint '" + tls.thumbprint + "' has " + std::to_string(want.size() / 2) +
                       " bytes, a SHA-256 fingerprint has 32 (SHA-1 thumbprints are not "
                       "accepted)", ErrorKind::Invalid);
    }
    if (!pin_) pin_ = new PinHolder;
    pin_->expected = want;
    flags |= SOAP_SSL_REQUIRE_SERVER_AUTHENTICATION | SOAP_SSL_SKIP_HOST_CHECK;
    soap_->fsslverify = pin_verify;
  } else {
    flags |= SOAP_SSL_REQUIRE_SERVER_AUTHENTICATION;
  }
  const char* ca = tls.ca_file.empty() ? nullptr : tls.ca_file.c_str();
  if (soap_ssl_client_context(soap_, flags, nullptr, nullptr, ca, nullptr, nullptr) != SOAP_OK) {
    std::string detail = soap_text(soap_);
    return Error("vsphere.tls", "cannot set up TLS" +
                                    (tls.ca_file.empty() ? std::string()
                                                         : " with CA file " + tls.ca_file) +
                                    ": " + detail, ErrorKind::Invalid);
  }
  if (pin_ && soap_->ctx) SSL_CTX_set_ex_data(soap_->ctx, pin_index(), pin_);
  return {};
}

void SoapBinding::reset() {
  soap_destroy(soap_);
  soap_end(soap_);
}

void SoapBinding::before_call() {
  if (cookie_.empty()) {
    soap_->http_extra_header = nullptr;
  } else {
    extra_header_ = "Cookie: " + cookie_;
    soap_->http_extra_header = extra_header_.c_str();
  }
  if (pin_) pin_->mismatch = false;
}

void SoapBinding::note_header(const char* key, const char* value) {
  if (key && value && strcasecmp(key, "Set-Cookie") == 0) {
    std::string c = session_cookie_from_set_cookie(value);
    if (!c.empty()) cookie_ = std::move(c);
  }
}

Status SoapBinding::after_call(const char* operation, int rc) {
  if (rc == SOAP_OK) return {};
  Error e = readable(error_from_soap(operation, rc));
  soap_closesock(soap_);
  return e;
}

Error SoapBinding::error_from_soap(const char* operation, int rc) {
  const std::string op = operation;
  const std::string server = server_of(endpoint_);
  if (wire_state_ && wire_state_->error) {
    return Error("vsphere.connect", op + ": " + wire_state_->error->message, ErrorKind::Transient);
  }
  if (pin_ && pin_->mismatch) {
    return Error("vsphere.tls.thumbprint",
                 server + " presented a certificate with SHA-256 thumbprint " +
                     colon_hex(pin_->seen) + ", not the pinned " +
                     colon_hex(pin_->expected) +
                     ": check the thumbprint, or that nothing intercepts the connection", ErrorKind::Refused);
  }
  if (rc == SOAP_FAULT || rc == SOAP_CLI_FAULT || rc == SOAP_SVR_FAULT) {
    const char* fs = soap_->fault ? soap_->fault->faultstring : nullptr;
    SOAP_ENV__Detail* detail = nullptr;
    if (soap_->fault) {
      detail = soap_->fault->detail ? soap_->fault->detail : soap_->fault->SOAP_ENV__Detail;
    }
    std::string type;
    if (detail && detail->fault) {
      type = std::string(vim_type_name(detail->__type));
    }
    if (type.empty() && detail && detail->__any) type = fault_type_from_detail(detail->__any);
    if (type.empty()) type = "SoapFault";
    std::string message = fs && *fs ? fs : type + " (the server gave no message)";
    return Error(type, message, fault_kind(type));
  }
  std::string text = soap_text(soap_);
  if (rc == SOAP_EOF && soap_->recv_maxlength > 0 && soap_->count > soap_->recv_maxlength) {
    return Error("vsphere.too-large",
                 op + ": the reply from " + server + " is larger than " +
                     std::to_string(soap_->recv_maxlength >> 20) +
                     " MiB and was refused after that much (a vCenter reply is far smaller: "
                     "is the URL a vSphere /sdk endpoint, and is nothing in between?)");
  }
  switch (rc) {
    case SOAP_SSL_ERROR:
      return Error("vsphere.tls",
                   op + ": TLS with " + server + " failed: " + text +
                       ". If the certificate is not signed by a CA this machine trusts, "
                       "pass the CA with --ca-file (GOVC_TLS_CA_CERTS) or pin it with "
                       "--thumbprint; --insecure turns verification off", ErrorKind::Refused);
    case SOAP_TCP_ERROR:
      return Error("vsphere.connect", op + ": cannot talk to " + server + ": " + text, ErrorKind::Transient);
    case SOAP_EOF:
      return Error("vsphere.connect", op + ": the reply from " + server +
                                          " ended before it was complete (connection closed, "
                                          "timed out, or a truncated message): " + text,
                   ErrorKind::Transient);
    case SOAP_TAG_MISMATCH:
    case SOAP_TYPE:
    case SOAP_SYNTAX_ERROR:
    case SOAP_NO_TAG:
    case SOAP_NAMESPACE:
    case SOAP_OCCURS:
    case SOAP_LENGTH:
    case SOAP_EMPTY:
    case SOAP_EOM:
      return Error("vsphere.xml", op + ": unexpected reply from " + server + ": " + text);
    default:
      break;
  }
  if (rc >= 200 && rc < 300) {
    // gSOAP reports the HTTP status when a 2xx body holds no usable reply element.
    return Error("vsphere.xml", op + ": the reply from " + server + " is not a " + op +
                                    " response (is the URL a vSphere /sdk endpoint?)");
  }
  if (rc == SOAP_HTTP_ERROR || (rc >= 100 && rc < 600)) {
    return Error("vsphere.http", op + ": " + server + " answered HTTP " +
                                     (rc >= 100 ? std::to_string(rc) : std::string("error")) +
                                     ": " + text,
                 rc >= 500 && rc < 600 ? ErrorKind::Transient : ErrorKind::Failed);
  }
  return Error("vsphere.soap", op + ": " + text);
}

Result<std::string> SoapBinding::http_get(const std::string& path) {
  before_call();
  std::string url = server_of(endpoint_) + path;
  int rc = soap_GET(soap_, url.c_str(), nullptr);  // sends the request
  if (rc == SOAP_OK) rc = soap_begin_recv(soap_);  // reads the status line and headers
  if (rc != SOAP_OK) {
    Error e = readable(error_from_soap(("GET " + path).c_str(), rc));
    soap_closesock(soap_);
    return e;
  }
  size_t len = 0;
  char* body = soap_http_get_body(soap_, &len);
  rc = soap_end_recv(soap_);
  if (!body || rc != SOAP_OK) {
    Error e = readable(
        error_from_soap(("GET " + path).c_str(), soap_->error ? soap_->error : SOAP_EOF));
    soap_closesock(soap_);
    return e;
  }
  std::string out(body, len);
  if (!(soap_->omode & SOAP_IO_KEEPALIVE)) soap_closesock(soap_);
  return out;
}

}  // namespace vmc::vsphere
