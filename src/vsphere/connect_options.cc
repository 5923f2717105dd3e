#include "vsphere/connect_options.h"

#include <cctype>

namespace vmc::vsphere {
namespace {

bool truthy(const std::string& v) {
  std::string s;
  for (char c : v) s.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  return s == "1" || s == "true" || s == "yes" || s == "on";
}

// %XX decoding for user info in URLs ("p%40ss" -> "p@ss").
std::string percent_decode(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out.push_back(static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

}  // namespace

Result<std::string> normalize_url(const std::string& in, std::string& user,
                                  std::string& password) {
  std::string url = in;
  while (!url.empty() && std::isspace(static_cast<unsigned char>(url.back()))) url.pop_back();
  while (!url.empty() && std::isspace(static_cast<unsigned char>(url.front()))) url.erase(0, 1);
  if (url.empty()) {
    return Error("vsphere.url", "no vCenter given: pass --vcenter or set GOVC_URL");
  }
  std::string scheme = "https";
  auto sep = url.find("://");
  if (sep != std::string::npos) {
    scheme = url.substr(0, sep);
    for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    url = url.substr(sep + 3);
    if (scheme != "https" && scheme != "http") {
      // The URL may carry user:password@: quote only the scheme, never the rest.
      return Error("vsphere.url", "vCenter URL '" + scheme + "://...' has scheme '" + scheme +
                                      "': use https:// (or http:// for a simulator)");
    }
  }
  auto slash = url.find('/');
  std::string authority = url.substr(0, slash);
  std::string path = slash == std::string::npos ? std::string() : url.substr(slash);
  auto at = authority.rfind('@');
  if (at != std::string::npos) {
    std::string info = authority.substr(0, at);
    authority = authority.substr(at + 1);
    auto colon = info.find(':');
    user = percent_decode(info.substr(0, colon));
    if (colon != std::string::npos) password = percent_decode(info.substr(colon + 1));
  }
  if (authority.empty()) {
    return Error("vsphere.url", "vCenter URL '" + scheme + "://...' has no host name");
  }
  for (char c : authority) {
    if (std::isspace(static_cast<unsigned char>(c)) || c == '?' || c == '#') {
      return Error("vsphere.url", "vCenter host '" + authority + "' contains '" +
                                      std::string(1, c) + "'");
    }
  }
  if (path.empty() || path == "/") path = "/sdk";
  return scheme + "://" + authority + path;
}

Result<ConnectOptions> resolve_connect_options(ConnectOptions o, const EnvLookup& env) {
  auto get = [&](const char* name) -> std::string {
    const char* v = env ? env(name) : nullptr;
    return v ? std::string(v) : std::string();
  };
  std::string url_user, url_password;
  std::string url = o.url.empty() ? get("GOVC_URL") : o.url;
  auto normalized = normalize_url(url, url_user, url_password);
  if (!normalized.ok()) return normalized.error();
  o.url = *normalized;
  if (o.user.empty()) o.user = !url_user.empty() ? url_user : get("GOVC_USERNAME");
  if (o.password.empty()) o.password = !url_password.empty() ? url_password : get("GOVC_PASSWORD");
  if (!o.insecure) o.insecure = truthy(get("GOVC_INSECURE"));
  if (o.ca_file.empty()) {
    std::string cas = get("GOVC_TLS_CA_CERTS");
    if (cas.find(':') != std::string::npos) {
      return Error("vsphere.tls.ca",
                   "GOVC_TLS_CA_CERTS lists several files (" + cas +
                       "): vm-capture takes one PEM file; concatenate them into one");
    }
    o.ca_file = cas;
  }
  if (o.user.empty()) {
    return Error("vsphere.credentials",
                 "no vCenter user: pass --user or set GOVC_USERNAME (or user@ in GOVC_URL)");
  }
  if (o.insecure && !o.thumbprint.empty()) {
    return Error("vsphere.tls",
                 "--insecure and --thumbprint contradict each other: a pinned thumbprint is "
                 "verified, --insecure verifies nothing; drop one");
  }
  return o;
}

std::string describe(const ConnectOptions& o) {
  std::string tls = o.insecure ? "TLS NOT verified (--insecure)"
                    : !o.thumbprint.empty() ? "TLS pinned to SHA-256 " + o.thumbprint
                    : !o.ca_file.empty()    ? "TLS verified with CA file " + o.ca_file
                                            : "TLS verified with the system CA store";
  return o.url + " as " + (o.user.empty() ? "(no user)" : o.user) + ", " + tls;
}

}  // namespace vmc::vsphere
