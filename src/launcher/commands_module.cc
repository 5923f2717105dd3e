// The commands module's only exported symbol: the full `capture` command line.
#include <type_traits>

#include "cli/app.h"
#include "cli/app_base.h"
#include "launcher/commands_module.h"
#include "session/run_session.h"

// The executable reports command-line errors of `capture merge` itself when the module
// is missing; it must use the full command line's exit code.
static_assert(vmc::cli::kExitUsage == vmc::session::kExitUsage);

extern "C" __attribute__((visibility("default"))) int vmc_commands_main_v1(int argc,
                                                                           char** argv) {
  static_assert(std::is_same_v<vmc::launcher::EntryPoint, decltype(&vmc_commands_main_v1)>);
  return vmc::cli::run(argc, argv);
}
