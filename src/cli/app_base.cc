#include "cli/app_base.h"

#include <CLI/CLI.hpp>
#include <string>

namespace vmc::cli {

void configure_top_level(CLI::App& app) {
  app.description(
      "vm-capture: capture a VM's traffic on ESXi with pktcap-uw, and keep capturing it "
      "across resets, power cycles, HA restarts and vMotion");
  app.set_version_flag("--version", std::string("capture ") + VMC_VERSION);
  app.require_subcommand(1);
  // Subcommands copy the footer when they are added, so it is set before any of them.
  app.footer(
      "Examples:\n"
      "  capture vm testvm1 -w boot.pcapng --boots 3\n"
      "  capture vm testvm1 -w - | wireshark -k -i -\n"
      "  capture vm testvm1 --dry-run\n"
      "  capture plan run examples/dhcp-boot-testvm1.yaml\n"
      "  capture status; capture cleanup");
  app.fallthrough();  // global options also after the subcommand: `capture vm x --json`
}

}  // namespace vmc::cli
