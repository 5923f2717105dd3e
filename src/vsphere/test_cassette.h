// Test helper (header-only): reads the vcrpy cassettes of real vCenter 8.0.3 exchanges
// from ../shared/conformance/vcenter-recordings at run time (never copied here).
#pragma once

#include <yaml-cpp/yaml.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "vsphere/test_fake_wire.h"

namespace vmc::vsphere::testing {

struct Interaction {
  std::string request_body;
  std::string operation;   // from the request body
  std::string this_ref;    // text of <_this ...>...</_this>
  std::string prop;        // text of <prop>, for pyvmomi's Fetch
  int status = 0;
  std::vector<std::string> headers;  // "name: value"
  std::string response_body;
};

inline std::string recordings_dir() {
  return std::string(VMC_SOURCE_DIR) + "/../shared/conformance/vcenter-recordings/";
}

inline std::string element_text(const std::string& xml, const std::string& name) {
  auto open = xml.find("<" + name);
  if (open == std::string::npos) return {};
  auto gt = xml.find('>', open);
  auto close = xml.find("</" + name + ">", gt);
  if (gt == std::string::npos || close == std::string::npos) return {};
  return xml.substr(gt + 1, close - gt - 1);
}

inline std::vector<Interaction> load_cassette(const std::string& file) {
  YAML::Node root = YAML::LoadFile(recordings_dir() + file);
  std::vector<Interaction> out;
  for (const auto& it : root["interactions"]) {
    Interaction x;
    const auto& rq = it["request"];
    if (rq["body"] && !rq["body"].IsNull()) x.request_body = rq["body"].as<std::string>();
    x.operation = x.request_body.empty() ? "GET " + rq["uri"].as<std::string>()
                                         : operation_of(x.request_body);
    x.this_ref = element_text(x.request_body, "_this");
    x.prop = element_text(x.request_body, "prop");
    const auto& rs = it["response"];
    x.status = rs["status"]["code"].as<int>();
    for (const auto& h : rs["headers"]) {
      auto name = h.first.as<std::string>();
      if (name == "content-length" || name == "transfer-encoding" ||
          name == "content-type") {
        continue;
      }
      for (const auto& v : h.second) x.headers.push_back(name + ": " + v.as<std::string>());
    }
    x.response_body = rs["body"]["string"].as<std::string>();
    out.push_back(std::move(x));
  }
  return out;
}

/// The recorded interaction number `index` of `file`; throws when out of range.
inline Interaction recorded(const std::string& file, size_t index) {
  auto all = load_cassette(file);
  if (index >= all.size()) throw std::out_of_range(file + " has no interaction " +
                                                   std::to_string(index));
  return all[index];
}

/// The first interaction of `file` calling `operation` (with `prop`, if given).
inline Interaction recorded(const std::string& file, const std::string& operation,
                            const std::string& prop = {}, const std::string& this_ref = {}) {
  for (auto& x : load_cassette(file)) {
    if (x.operation == operation && (prop.empty() || x.prop == prop) &&
        (this_ref.empty() || x.this_ref == this_ref)) {
      return x;
    }
  }
  throw std::runtime_error(file + " has no " + operation + " " + prop);
}

inline std::string as_http(const Interaction& x) {
  return http_response(x.status, x.response_body, x.headers);
}

/// pyvmomi reads single properties with Fetch; its returnval carries exactly the XML
/// a RetrievePropertiesEx <val> carries. Re-wraps a recorded FetchResponse as the
/// RetrievePropertiesExResponse the binding expects for object `type:id`, property
/// `prop`.
inline std::string fetch_as_retrieve(const Interaction& fetch, const std::string& type,
                                     const std::string& id) {
  const std::string& body = fetch.response_body;
  auto open = body.find("<returnval");
  auto close = body.rfind("</returnval>");
  if (open == std::string::npos || close == std::string::npos) {
    throw std::runtime_error("FetchResponse without returnval");
  }
  std::string val = "<val" + body.substr(open + 10, close - open - 10) + "</val>";
  std::string inner = "<RetrievePropertiesExResponse xmlns=\"urn:vim25\"><returnval><objects>"
                      "<obj type=\"" + type + "\">" + id + "</obj><propSet><name>" + fetch.prop +
                      "</name>" + val + "</propSet></objects></returnval>"
                      "</RetrievePropertiesExResponse>";
  auto env_open = body.find("<FetchResponse");
  auto env_close = body.find("</FetchResponse>");
  return body.substr(0, env_open) + inner + body.substr(env_close + 16);
}

}  // namespace vmc::vsphere::testing
