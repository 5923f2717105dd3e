#include "session/on_host_space.h"

#include <spdlog/spdlog.h>

#include "host/on_host_output.h"

namespace vmc::session {

namespace {

std::string mib(int64_t b) { return std::to_string(b / (1024 * 1024)) + " MiB"; }

/// "datastore /vmfs/volumes/datastore1 on esx01 has 3 MiB free of 100 MiB, below the 16
/// MiB kept free".
std::string space_text(const std::string& host, const host::FsUsage& u, int64_t reserve) {
  const std::string what = u.ramdisk ? "ramdisk " + u.name : "datastore " + u.mount;
  return what + " on " + host + " has " + mib(u.avail) + " free of " + mib(u.size) +
         ", below the " + mib(reserve) + " kept free";
}

}  // namespace

Status DatastoreWatch::room_to_start(const std::string& dir, const std::string& what) {
  if (auto f = full()) return Error("onhost.space", *f);
  auto usage = host::remote_space(conn_, dir);
  if (!usage.ok()) {
    return usage.error().context(host_ + ": cannot tell the free space for " + dir +
                                 ", so the on-host capture of " + what + " is not started");
  }
  auto room = host::check_space(*usage);
  if (!room.ok) {
    return Error("onhost.space", "on-host capture of " + what + " not started: " +
                                     space_text(host_, *usage, room.reserve) +
                                     "; free space there or choose another datastore "
                                     "(output.on_host.datastore)");
  }
  return {};
}

void DatastoreWatch::capturing_in(const std::string& dir) {
  std::lock_guard lk(mu_);
  dir_ = dir;
}

std::optional<std::string> DatastoreWatch::full() const {
  std::lock_guard lk(mu_);
  return full_;
}

std::optional<std::string> DatastoreWatch::check_if_due() {
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard lk(mu_);
    if (now - last_check_ < interval_) return std::nullopt;
    last_check_ = now;
  }
  return check();
}

std::optional<std::string> DatastoreWatch::check() {
  std::string dir;
  {
    std::lock_guard lk(mu_);
    if (full_) return full_;
    dir = dir_;
  }
  if (dir.empty()) return std::nullopt;
  auto usage = host::remote_space(conn_, dir);
  if (!usage.ok()) {
    spdlog::debug("{}: free space of {} unknown: {}", host_, dir, usage.error().message);
    return std::nullopt;
  }
  auto room = host::check_space(*usage);
  if (room.ok) return std::nullopt;
  std::string text = "on-host output: " + space_text(host_, *usage, room.reserve) +
                     ": the session ends so that the capture files there stay whole (they are "
                     "fetched as the captures stop); free space on the datastore or choose "
                     "another one (output.on_host.datastore)";
  {
    std::lock_guard lk(mu_);
    if (full_) return full_;
    full_ = text;
  }
  spdlog::error("{}", text);
  if (end_session_) end_session_(text);
  return text;
}

}  // namespace vmc::session
