// The executable's side of the commands module (commands_module.h): finding it, loading
// it and running a command line in it.
#pragma once

#include <string>
#include <vector>

namespace vmc::launcher {

/// Exit code when the module cannot be found or loaded.
inline constexpr int kExitNoModule = 1;

/// Where the module is looked for, first match wins, for the executable at `exe`:
/// beside it (the build tree), then VMC_COMMANDS_RELDIR relative to its directory (an
/// installed tree: bin/capture and lib/vm-capture/libvmc-commands.so).
std::vector<std::string> module_paths(const std::string& exe);

/// This process's executable (/proc/self/exe, symbolic links resolved); "" if unknown.
std::string self_exe();

/// The first of module_paths(self_exe()) that exists, or "" when none does.
std::string find_module();

/// Loads the module and runs the command line in it, returning its exit code. When the
/// module is missing or cannot be loaded, prints why on stderr, naming the path(s), and
/// returns kExitNoModule.
int run_in_module(int argc, char** argv);

}  // namespace vmc::launcher
