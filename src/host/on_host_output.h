// Captures written on the host (pktcap-uw -o FILE) instead of streamed: where they may go,
// whether there is room, and bringing them home intact.
//
//  - on_host_directory: a datastore name ("datastore1") or a /vmfs/volumes/... path;
//    /tmp (a 256 MB ramdisk on ESXi) only with force_tmp; anything else is refused.
//  - remote_space / check_space: free space from `vdf` (1K blocks, exact) before
//    starting and while running; below the reserve the caller stops or rotates.
//  - fetch_verified: `stat -c %s` and `sha256sum` on the host, `cat` streamed home while
//    hashing, compared; the remote file is removed only when size and hash match.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "host/host_connection.h"
#include "host/vdf.h"
#include "model/session_spec.h"
#include "util/result.h"

namespace vmc::host {

/// Directory for capture files. Codes "onhost.tmp", "onhost.path", "onhost.datastore".
Result<std::string> on_host_directory(const model::OutputSpec& out);

/// Usage of the filesystem holding `path` on the host (runs `vdf`).
Result<FsUsage> remote_space(HostConnection& conn, const std::string& path);

struct SpaceCheck {
  bool ok = true;
  int64_t reserve = 0;   // bytes that must stay free
  std::string message;   // set when !ok: says where, how much is left, what to do
};

/// The reserve is 2% of the filesystem, at least 16 MiB and at most 1 GiB; `extra` is what the caller is about
/// to add (0 while running).
SpaceCheck check_space(const FsUsage& u, int64_t extra = 0);

struct FetchReport {
  uint64_t bytes = 0;
  std::string sha256;
  bool removed = false;
};

/// Whether `path` can be a capture file of ours: a clean absolute path on a datastore
/// (/vmfs/volumes/...) or /tmp whose name is "vmc-....pcap" (on_host_file_name). A
/// crashed session's files are fetched and removed by path from its journal: nothing else.
bool is_capture_file_path(std::string_view path);

/// A fetch of `remote_path` from `host` failed and left the file there: "<host>:<path>:
/// <why>; the file was kept on the host", with the code and kind of `why`.
Error kept_on_host(const std::string& host, const std::string& remote_path, const Error& why);

/// Streams `remote_path` into `sink` (which may fail, e.g. local disk full), verifies
/// size and SHA-256 against the host's, then removes the remote file if `remove`.
/// Codes "onhost.missing" (`stat` says there is no such file; NotFound), "onhost.fetch",
/// "onhost.verify", "onhost.remove" (fetched, but `rm` failed), or the connection's;
/// every other failure keeps the remote file and says so (kept_on_host).
Result<FetchReport> fetch_verified(HostConnection& conn, const std::string& remote_path,
                                   const std::function<Status(std::string_view)>& sink, bool remove);

}  // namespace vmc::host
