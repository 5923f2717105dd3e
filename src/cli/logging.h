// Where log lines go: stderr, as plain lines or (--json) as one JSON object per line.
#pragma once

#include "session/global_options.h"

namespace vmc::cli {

/// Makes the "vm-capture" logger on stderr the default one: plain lines, or with
/// g.json_logs JSON lines that stay valid whatever a message holds (util/json_log.h);
/// level from -v / -q. Never prints secrets (no message carries them). May be called
/// again: the logger is replaced.
void configure_logging(const session::GlobalOptions& g);

}  // namespace vmc::cli
