#pragma once

namespace vmc::cli {

/// Parses the full command line (every command and the global options) and runs one
/// command. Returns the process exit code. Runs inside the commands module
/// (launcher/commands_module.h); the executable itself parses only `capture merge`.
int run(int argc, char** argv);

}  // namespace vmc::cli
