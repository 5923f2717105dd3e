// `vmc_bench_merge_driver merge IN... -w OUT`: the merge subcommand alone.
#include <CLI/CLI.hpp>

#include "cli/cmd_merge.h"

int main(int argc, char** argv) {
  CLI::App app{"capture merge (benchmark driver)"};
  app.require_subcommand(1);
  int exit_code = 0;
  vmc::cli::add_merge_command(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return exit_code;
}
