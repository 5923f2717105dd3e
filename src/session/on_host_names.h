// The names of on-host capture files: one per run of a pin, saying which session, host,
// port and direction it holds, safe for a shell and a datastore.
#pragma once

#include <cstdint>
#include <string>

#include "orchestrator/pin.h"

namespace vmc::session {

/// "vmc-<session>-<host>-<port>-<dir>-<n>.pcap" with every character outside
/// [A-Za-z0-9._-] replaced by '_' (host names and session ids come from outside).
std::string on_host_file_name(const std::string& session_id, const orchestrator::Pin& pin,
                              uint64_t n);

}  // namespace vmc::session
