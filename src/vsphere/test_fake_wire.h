// Test helpers (header-only, used by *_test.cc): an HttpWire that answers canned SOAP
// bodies and records every request, so binding code runs end to end without a server.
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "vsphere/http_wire.h"

namespace vmc::vsphere::testing {

/// The SOAP operation a request body invokes: the first element inside <...:Body>,
/// without prefix ("RetrievePropertiesEx"); "GET <path>" for HTTP GETs.
inline std::string operation_of(const std::string& request) {
  if (request.rfind("GET ", 0) == 0) {
    auto sp = request.find(' ', 4);
    return "GET " + request.substr(4, sp - 4);
  }
  auto body = request.find(":Body");
  if (body == std::string::npos) body = request.find("<Body");
  if (body == std::string::npos) return {};
  auto lt = request.find('<', body + 1);
  if (lt == std::string::npos) return {};
  auto end = request.find_first_of(" >/", lt);
  std::string name = request.substr(lt + 1, end - lt - 1);
  auto colon = name.find(':');
  return colon == std::string::npos ? name : name.substr(colon + 1);
}

inline std::string soap_envelope(const std::string& inner) {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
         "<soapenv:Envelope xmlns:soapenc=\"http://schemas.xmlsoap.org/soap/encoding/\" "
         "xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\" "
         "xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\" "
         "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\n<soapenv:Body>\n" +
         inner + "\n</soapenv:Body>\n</soapenv:Envelope>";
}

inline std::string http_response(int status, const std::string& body,
                                 const std::vector<std::string>& headers = {}) {
  std::string r = "HTTP/1.1 " + std::to_string(status) +
                  (status == 200 ? " OK" : " Internal Server Error") +
                  "\r\nContent-Type: text/xml; charset=utf-8\r\nContent-Length: " +
                  std::to_string(body.size()) + "\r\n";
  for (const auto& h : headers) r += h + "\r\n";
  return r + "\r\n" + body;
}

/// Answers by operation name from queues of whole HTTP responses; an operation with an
/// empty queue gets a transport error. Every request is kept in `requests`.
class FakeWire : public HttpWire {
 public:
  void reply(const std::string& operation, std::string http) {
    replies_[operation].push_back(std::move(http));
  }
  /// Queues a 200 reply whose SOAP body is `inner` (the ...Response element).
  void reply_body(const std::string& operation, const std::string& inner,
                  const std::vector<std::string>& headers = {}) {
    reply(operation, http_response(200, soap_envelope(inner), headers));
  }
  void fault(const std::string& operation, const std::string& fault_type,
             const std::string& message) {
    reply(operation,
          http_response(500, soap_envelope("<soapenv:Fault><faultcode>ServerFaultCode</faultcode>"
                                           "<faultstring>" + message +
                                           "</faultstring><detail><" + fault_type +
                                           "Fault xmlns=\"urn:vim25\" xsi:type=\"" + fault_type +
                                           "\"></" + fault_type + "Fault></detail></soapenv:Fault>")));
  }

  /// Queues a transport failure (connection refused or reset) for `operation`.
  void fail(const std::string& operation) { replies_[operation].push_back(kFail); }

  Result<std::string> exchange(const std::string& request) override {
    requests.push_back(request);
    std::string op = operation_of(request);
    operations.push_back(op);
    auto it = replies_.find(op);
    if (it == replies_.end() || it->second.empty()) {
      return Error("test.no-reply", "the fake server has no reply queued for " + op);
    }
    std::string r = std::move(it->second.front());
    it->second.pop_front();
    if (r == kFail) return Error("test.reset", "connection reset by the fake server");
    return r;
  }

  std::vector<std::string> requests;
  std::vector<std::string> operations;

 private:
  static constexpr const char* kFail = "\x01" "fail";
  std::map<std::string, std::deque<std::string>> replies_;
};

}  // namespace vmc::vsphere::testing
