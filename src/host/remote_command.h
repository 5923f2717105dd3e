// The one framing vm-capture uses to start a long-running command on a host so that its
// PID is known before any of its output:
//
//   sh -c 'echo $$; exec pktcap-uw --switchport 33554442 --dir 2 -o -'
//
// The SSH exec channel runs that line in the user's login shell; `sh -c` starts a known
// shell whatever the login shell is; `echo $$` prints that shell's PID and a newline;
// `exec` replaces the shell with the command, which therefore keeps the same PID. So the
// channel's stdout is exactly:
//
//   <decimal PID> "\n" <the command's stdout bytes (pcap for `-o -`)>
//
// and stderr is the command's stderr. Stopping is `kill <PID>` (never pkill/killall),
// after `ps` confirms the PID is still ours.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.h"

namespace vmc::host {

/// `sh -c '<echo $$; exec ARGV>'` with ARGV quoted by util::shell_join.
Result<std::string> pid_framed_command(const std::vector<std::string>& argv);

/// A plain command line for short commands (esxcli, ps, kill): ARGV quoted and joined.
Result<std::string> plain_command(const std::vector<std::string>& argv);

/// Splits a pid-framed stdout stream into the PID line and the payload, incrementally.
class PidLineSplitter {
 public:
  /// Consumes `data`. Payload bytes (after the PID line) are passed to `payload`, in
  /// order, possibly in several calls. Fails (code "remote.pid") when the first line is
  /// not a decimal PID of at most 19 digits; after a failure every call fails.
  Status feed(std::string_view data, const std::function<void(std::string_view)>& payload);

  /// Set once the whole PID line has arrived.
  std::optional<int64_t> pid() const { return pid_; }

 private:
  std::string line_;
  std::optional<int64_t> pid_;
  std::optional<Error> failed_;
};

}  // namespace vmc::host
