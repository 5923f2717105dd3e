// Bringing a capture file home from a host: the one way on-host output files come back,
// both a running session's (OnHostControl) and those a crashed session left (`capture
// cleanup`). The copy is written to "<local>.part", synced and renamed to <local> once
// its size and SHA-256 match the host's; only then is the remote file removed.
#pragma once

#include <string>

#include "host/host_connection.h"
#include "orchestrator/seams.h"
#include "util/result.h"

namespace vmc::session {

/// Error codes: "onhost.missing" (the host has no such file: NotFound), "onhost.local"
/// (the local copy could not be created or saved), and those of host::fetch_verified; on
/// any other error than "onhost.missing" the remote file is kept, no local file is left and
/// the message says both where the file is and that it was kept (host::kept_on_host). A
/// failed `rm` is not an error: the copy is good; FetchedFile::not_removed says so.
Result<orchestrator::FetchedFile> fetch_home(host::HostConnection& conn, const std::string& remote_path,
                                             const std::string& local_path);

}  // namespace vmc::session
