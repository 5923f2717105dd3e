#include "session/fetch_home.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "capture/atomic_file.h"
#include "host/on_host_output.h"
#include "host/text.h"

namespace vmc::session {

Result<orchestrator::FetchedFile> fetch_home(host::HostConnection& conn, const std::string& remote_path,
                                             const std::string& local_path) {
  auto file = capture::AtomicFile::create(local_path, /*durable=*/true);
  if (!file.ok()) {
    return host::kept_on_host(conn.host(), remote_path,
                              Error("onhost.local", "cannot create the local copy: " + file.error().message));
  }
  const int fd = file->fd();
  const std::string& part = file->temp_path();
  auto write_all = [&](std::string_view d) -> Status {
    while (!d.empty()) {
      const ssize_t n = ::write(fd, d.data(), d.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        return Error("onhost.local", "writing " + part + ": " + std::strerror(errno));
      }
      d.remove_prefix(static_cast<size_t>(n));
    }
    return {};
  };
  // Removed by hand below, once the local copy is on disk.
  auto fetched = host::fetch_verified(conn, remote_path, write_all, /*remove=*/false);
  if (!fetched.ok()) return fetched.error();  // `file` goes: no local file is left
  if (auto s = file->commit(); !s) {
    return host::kept_on_host(
        conn.host(), remote_path,
        Error("onhost.local", "the local copy could not be saved (" + s.error().message + ")"));
  }
  orchestrator::FetchedFile out;
  out.bytes = fetched->bytes;
  out.sha256 = fetched->sha256;
  auto rm = conn.run({"rm", remote_path});
  if (!rm.ok() || rm->exit_status != 0) {
    out.not_removed = conn.host() + ":" + remote_path + " was fetched and verified (" +
                      std::to_string(out.bytes) + " bytes) but could not be removed: " +
                      (rm.ok() ? host::excerpt(host::trim(rm->err)) : rm.error().message) +
                      "; remove it by hand";
  }
  return out;
}

}  // namespace vmc::session
