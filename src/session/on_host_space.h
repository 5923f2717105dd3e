// The free space of an on-host session's capture directory on one host. A capture is
// not started below the reserve (host::check_space: 2 % of the datastore, 16 MiB ..
// 1 GiB); while captures run it is checked again at most once per interval, and once
// found below the reserve the datastore counts as full for the rest of the session: the
// session is told to end, once (a capture is not restarted on a full datastore).
#pragma once

#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string>

#include "host/host_connection.h"
#include "util/result.h"

namespace vmc::session {

class DatastoreWatch {
 public:
  DatastoreWatch(std::string host_name, host::HostConnection& conn, std::chrono::milliseconds interval,
                 std::function<void(const std::string&)> end_session)
      : host_(std::move(host_name)),
        conn_(conn),
        interval_(interval),
        end_session_(std::move(end_session)) {}

  /// Before starting the capture `what` in `dir`: an error ("onhost.space") when the
  /// datastore is full now or was found full before, or when its space cannot be told.
  Status room_to_start(const std::string& dir, const std::string& what);
  /// Captures run in `dir` now: the later checks look there.
  void capturing_in(const std::string& dir);
  /// The check while captures run, when an interval has passed since the last: the text
  /// saying the datastore is full, if it is.
  std::optional<std::string> check_if_due();
  /// The same, now.
  std::optional<std::string> check();
  /// The text saying the datastore is full, once found so.
  std::optional<std::string> full() const;

 private:
  std::string host_;
  host::HostConnection& conn_;
  std::chrono::milliseconds interval_;
  std::function<void(const std::string&)> end_session_;
  mutable std::mutex mu_;
  std::string dir_;                  // the capture directory, once a capture started
  std::optional<std::string> full_;  // set once the datastore was found full
  std::chrono::steady_clock::time_point last_check_{};
};

}  // namespace vmc::session
