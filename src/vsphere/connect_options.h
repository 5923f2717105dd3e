// How to reach and authenticate to vCenter, with govc's conventions: GOVC_URL,
// GOVC_USERNAME, GOVC_PASSWORD, GOVC_INSECURE, GOVC_TLS_CA_CERTS. Pure: the environment
// is passed in, nothing is read or logged here.
#pragma once

#include <functional>
#include <string>

#include "util/result.h"

namespace vmc::vsphere {

struct ConnectOptions {
  std::string url;         // normalised: "https://vc.example.com/sdk"
  std::string user;
  std::string password;    // a secret: never log it (see describe())
  std::string ca_file;     // PEM CA bundle; empty = system store
  bool insecure = false;   // no certificate verification (warn the user)
  std::string thumbprint;  // SHA-256 of the server certificate, pins it
};

/// Reads a variable; nullptr when unset.
using EnvLookup = std::function<const char*(const char*)>;

/// Fills unset fields of `flags` from the environment (flags win), then normalises.
/// GOVC_URL may carry credentials ("https://user:pass@vc/sdk"); they are moved out of
/// the URL. Errors name the variable or flag at fault.
Result<ConnectOptions> resolve_connect_options(ConnectOptions flags, const EnvLookup& env);

/// govc URL rules: "vc1" -> "https://vc1/sdk", "vc1:8443" -> "https://vc1:8443/sdk",
/// "http://vc1" keeps http; an empty path becomes /sdk. Credentials in the URL are
/// returned through `user`/`password` (left untouched when absent).
Result<std::string> normalize_url(const std::string& url, std::string& user,
                                  std::string& password);

/// One line for logs and --dry-run: URL, user and TLS mode, never the password.
std::string describe(const ConnectOptions& o);

}  // namespace vmc::vsphere
