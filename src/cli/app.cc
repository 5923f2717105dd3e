#include "cli/app.h"

#include <CLI/CLI.hpp>
#include <cstdio>

namespace vmc::cli {

int run(int argc, char** argv) {
  CLI::App app{"vm-capture: capture a VM's traffic on ESXi and keep capturing it across "
               "resets, power cycles and vMotion"};
  app.set_version_flag("--version", std::string("capture ") + VMC_VERSION);
  app.require_subcommand(1);
  auto* vm = app.add_subcommand("vm", "Capture one VM's traffic");
  std::string name;
  vm->add_option("NAME", name, "VM name, inventory path or managed object id")->required();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  std::fprintf(stderr, "capture vm: not yet implemented\n");
  return 2;
}

}  // namespace vmc::cli
