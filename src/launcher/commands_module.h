// The split of the `capture` program into a small executable and a commands module.
//
// `capture merge` must start small (issue 6: lower peak memory than mergecap), so the
// executable links only what merging needs (capture/, util/, CLI11). Every other command
// (vm, plan, status, cleanup, and the top-level help) lives in the shared module
// libvmc-commands.so with the vSphere, SSH and YAML code and their libraries; the
// executable loads it with dlopen and hands it the whole command line through one
// extern "C" entry point. See launcher.h for where the module is looked for.
#pragma once

namespace vmc::launcher {

/// File name of the module.
inline constexpr const char* kModuleFile = "libvmc-commands.so";

/// Name of the module's entry point. It parses and runs a whole `capture` command line
/// (the same argv main() received) and returns the process exit code. The number is
/// bumped when its meaning changes, so a stale module is refused rather than misused.
inline constexpr const char* kEntryPoint = "vmc_commands_main_v1";

using EntryPoint = int (*)(int argc, char** argv);

}  // namespace vmc::launcher
