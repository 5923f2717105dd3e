#pragma once

namespace vmc::cli {

/// Parses the command line and runs one command. Returns the process exit code.
int run(int argc, char** argv);

}  // namespace vmc::cli
