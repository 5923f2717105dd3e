// How a session is told to stop from outside: SIGINT (Ctrl-C) and SIGTERM set a flag
// the runtime reads at every pass; SIGPIPE is ignored, so a closed stdout (wireshark
// quit) is an error to report, not a death.
#pragma once

#include <atomic>

namespace vmc::session {

/// Installs the handlers (again is harmless) and returns the flag they set.
const std::atomic<bool>& install_stop_signals();

}  // namespace vmc::session
