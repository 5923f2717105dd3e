// Opening an SSH session to a host: ssh_config applied, connected, the host key checked
// against known_hosts (an unknown or changed key refused unless AcceptNew records an
// unknown one), then authenticated (agent and keys, then the password if given). Internal
// to src/host: the libssh session goes only to ssh_connection.cc.
#pragma once

#include <libssh/libssh.h>

#include <string>

#include "host/ssh_connection.h"
#include "util/result.h"

namespace vmc::host {

/// A new connected, verified and authenticated session; `fingerprint` gets the host
/// key's SHA256 fingerprint. Codes: "ssh.config" (Invalid), "ssh.connect",
/// "ssh.hostkey-unknown", "ssh.hostkey-changed", "ssh.hostkey", "ssh.auth" (Refused).
Result<ssh_session> open_ssh_session(const SshOptions& opts, std::string& fingerprint);

}  // namespace vmc::host
