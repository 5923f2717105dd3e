// `capture`: the merge command runs here; every other command runs in the commands
// module (launcher/commands_module.h), loaded only when needed so that `capture merge`
// maps none of the vSphere, SSH and YAML libraries.
#include <CLI/CLI.hpp>
#include <cstring>

#include "cli/app_base.h"
#include "cli/cmd_merge.h"
#include "launcher/launcher.h"

namespace {

// `capture merge ...` (or `capture --version`) with the merge command alone under the same top level as the full
// command line, so help and errors read the same. Anything it does not parse (a global
// option such as --json given after the merge arguments, or a mistake) goes to the full
// command line when the module is there, which then answers exactly as it always has;
// without the module the error is reported here.
int run_here(int argc, char** argv) {
  CLI::App app;
  vmc::cli::configure_top_level(app);
  int exit_code = 0;
  vmc::cli::add_merge_command(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // Help and --version (exit code 0) never reach the merge callback; errors are
    // raised before it runs, so nothing was written when the full command line retries.
    if (e.get_exit_code() != 0 && !vmc::launcher::find_module().empty()) {
      return vmc::launcher::run_in_module(argc, argv);
    }
    const int rc = app.exit(e);
    return rc == 0 ? 0 : vmc::cli::kExitUsage;
  }
  return exit_code;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 2 && std::strcmp(argv[1], "merge") == 0) return run_here(argc, argv);
  // The same top level answers `capture --version` as the full command line would.
  if (argc == 2 && std::strcmp(argv[1], "--version") == 0) return run_here(argc, argv);
  return vmc::launcher::run_in_module(argc, argv);
}
