// The top level of the `capture` command line: description, --version, footer, one
// subcommand required, global options accepted after the subcommand. Both the full
// command line (cli/app.cc, in the commands module) and the executable's own merge-only
// path (src/main.cc) start from it, so `capture merge` prints the same help and errors
// whichever of the two parses it.
#pragma once

namespace CLI {
class App;
}

namespace vmc::cli {

/// Sets up `app` as the top-level `capture` command (no subcommands or global options).
void configure_top_level(CLI::App& app);

/// Exit code of a command-line error (--help and --version exit 0); the same as
/// session::kExitUsage, which the executable does not link (checked in the module).
inline constexpr int kExitUsage = 2;

}  // namespace vmc::cli
