// The session's way to its hosts: connections through the HostConnector, a backoff per
// host after a failure, and what is said about a host that cannot be used. A host being
// reconnected (or still connecting) is tried at every pass and said once; a host that
// refused our key or login is an error of the session, said once.
#pragma once

#include <chrono>
#include <set>
#include <string>

#include "orchestrator/seams.h"
#include "orchestrator/session_record.h"
#include "util/backoff.h"

namespace vmc::orchestrator {

class HostAccess {
 public:
  HostAccess(HostConnector& connector, SessionRecord& record, std::chrono::milliseconds backoff_initial,
             std::chrono::milliseconds backoff_max)
      : connector_(connector), record_(record), backoff_(backoff_initial, backoff_max) {}

  /// Starts the host's connection ahead, in the background.
  void prepare(const model::HostInfo& host) { connector_.prepare(host); }
  /// Whether the host may be tried now (no failure whose backoff still runs).
  bool ready(const model::HostInfo& host) const;
  /// The host's connection, or nullptr when it cannot be had now (then said as
  /// unavailable() says it).
  HostControl* connect(const model::HostInfo& host);
  /// The same, saying nothing when it cannot be had (the end of the session).
  HostControl* connect_quietly(const model::HostInfo& host);
  /// Handles an error that is about the host rather than the request (Transient: its
  /// connection is being re-made; Refused: it refused our key or login): said, backed
  /// off where retrying needs time. Returns false, doing nothing, for any other error.
  bool unavailable(const model::HostInfo& host, const Error& e);
  /// A request to the host failed: it waits out its backoff. Returns "; retrying in N ms".
  std::string failed(const model::HostInfo& host);
  /// The host did what was asked: no backoff; "answers again" after it was waited for.
  void answered(const model::HostInfo& host);

 private:
  void unusable(const model::HostInfo& host, const Error& e);

  HostConnector& connector_;
  SessionRecord& record_;
  util::KeyedBackoff backoff_;           // by host moref
  std::set<std::string> waiting_;        // hosts being (re)connected, said once
  std::set<std::string> refused_;        // hosts that refused our key or login, said once
};

}  // namespace vmc::orchestrator
