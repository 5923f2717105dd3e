// The seam under the SOAP binding: one HTTP request in, one whole HTTP response out.
// Production code leaves it unset and gSOAP talks TCP/TLS itself; tests plug in a fake
// that answers canned (or recorded) replies, so everything above the socket (HTTP
// framing, cookies, XML, faults) runs for real without a server.
#pragma once

#include <string>

#include "util/result.h"

namespace vmc::vsphere {

class HttpWire {
 public:
  virtual ~HttpWire() = default;
  /// `request` is the complete HTTP request as gSOAP wrote it (headers and body).
  /// Returns the complete HTTP response (status line, headers, body), or an Error that
  /// the binding reports as a transport failure.
  virtual Result<std::string> exchange(const std::string& request) = 0;
};

}  // namespace vmc::vsphere
