#include "cli/app.h"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "capture/rotating_writer.h"
#include "cli/app_base.h"
#include "cli/cmd_merge.h"
#include "cli/cmd_plan.h"
#include "cli/cmd_status.h"
#include "cli/logging.h"
#include "orchestrator/journal.h"
#include "plan/plan_loader.h"
#include "plan/vm_flags.h"
#include "session/cleanup_command.h"
#include "session/dry_run.h"
#include "session/run_session.h"

namespace vmc::cli {

namespace {

void add_global_options(CLI::App& app, session::GlobalOptions& g) {
  auto* vc = "vCenter (defaults from GOVC_URL, GOVC_USERNAME, GOVC_PASSWORD, GOVC_INSECURE, "
             "GOVC_TLS_CA_CERTS)";
  app.add_option("--vcenter", g.vcenter.url, "vCenter URL or host name")
      ->group(vc)
      ->check(
          [](const std::string& url) -> std::string {
            // user:password@ in a flag would put the password where ps and the shell
            // history show it; GOVC_URL may carry it (the environment is private).
            auto start = url.find("://");
            start = start == std::string::npos ? 0 : start + 3;
            const std::string authority = url.substr(start, url.find('/', start) - start);
            const auto at = authority.rfind('@');
            if (at != std::string::npos && authority.substr(0, at).find(':') != std::string::npos) {
              return "the URL carries a password (user:password@host); a password is never "
                     "taken from the command line, where ps and the shell history show it: set "
                     "GOVC_PASSWORD or use --credential-file";
            }
            return "";
          },
          "URL without a password");
  app.add_option("--user", g.vcenter.user, "vCenter user name")->group(vc);
  app.add_option("--ca-file", g.vcenter.ca_file, "PEM file of CAs that sign vCenter's certificate")
      ->group(vc);
  auto* thumbprint = app.add_option("--thumbprint", g.vcenter.thumbprint,
                                    "pin vCenter's certificate by its SHA-256 fingerprint")
                         ->group(vc);
  app.add_flag("--insecure", g.vcenter.insecure,
               "do not verify vCenter's certificate (not recommended)")
      ->group(vc)
      ->excludes(thumbprint);
  app.add_option("--credential-file", g.credential_file,
                 "file holding the vCenter password (must be mode 0600); the password is "
                 "never taken from the command line")
      ->group(vc);
  // A password is never taken from the command line. Flags that look like one are
  // refused with that explanation (and their value is never repeated in the message).
  for (const char* name : {"--password", "--vc-password", "--vcenter-password", "--ssh-password",
                           "--pass", "--passwd"}) {
    app.add_option_function<std::string>(
           name,
           [name](const std::string&) {
             throw CLI::ValidationError(
                 name, "a password is never taken from the command line, where ps and the "
                       "shell history show it; for vCenter set GOVC_PASSWORD or use "
                       "--credential-file FILE (mode 0600), for SSH set VMC_SSH_PASSWORD or use "
                       "--identity KEY");
           })
        ->group("");
  }
  auto* ssh = "ESXi SSH (defaults from VMC_SSH_CONFIG, VMC_SSH_KNOWN_HOSTS, VMC_SSH_USER, "
              "VMC_SSH_PASSWORD, VMC_SSH_IDENTITY)";
  app.add_option("--ssh-config", g.ssh.ssh_config, "ssh_config file (Host entries for ESXi hosts)")
      ->group(ssh);
  app.add_option("--known-hosts", g.ssh.known_hosts, "known_hosts file with the hosts' keys")
      ->group(ssh);
  app.add_option("--ssh-user", g.ssh.user, "SSH user on the hosts (default root)")->group(ssh);
  app.add_option("--identity", g.ssh.identity_files, "SSH private key file")->group(ssh);
  app.add_flag("--accept-new-host-key", g.ssh.accept_new_host_keys,
               "add unknown host keys to known_hosts (a CHANGED key is always refused)")
      ->group(ssh);
  app.add_option("--state-dir", g.state_dir,
                 "where session journals live (default $XDG_STATE_HOME/vm-capture)");
  app.add_flag("--json", g.json_logs, "log as JSON lines on stderr");
  app.add_flag("-v,--verbose", g.verbosity, "more log detail");
  app.add_flag("-q,--quiet", g.quiet, "warnings and errors only");
}

plan::LoadOptions load_options() {
  plan::LoadOptions o;
  o.policy_dirs = plan::default_policy_dirs(std::getenv("VMC_POLICY_PATH"), std::getenv("HOME"));
  return o;
}

}  // namespace

int run(int argc, char** argv) {
  CLI::App app;
  configure_top_level(app);

  session::GlobalOptions g;
  g.ssh = session::SshSettings::from_env();  // flags given override these
  add_global_options(app, g);
  int exit_code = 0;
  // Callbacks run during parse: logging is set up first (options are parsed by then).
  app.parse_complete_callback([&] { configure_logging(g); });

  // capture vm NAME ...
  plan::VmFlags f;
  bool dry = false;
  auto* vm = app.add_subcommand("vm", "Capture one VM's traffic until Ctrl-C or a stop condition");
  vm->add_option("NAME", f.vm, "VM name, inventory path (/dc/vm/folder/name), id (vm-42) or NIC MAC")
      ->required();
  vm->add_option("--nic", f.nics, "only this NIC (label or MAC); repeatable");
  vm->add_option("--policy", f.policy, "policy from policies/ (default: default)");
  vm->add_option("--dir", f.dir, "in, out or both (default both)");
  vm->add_option("--filter", f.filters, "pktcap-uw filter KEY=VALUE[,KEY=VALUE] (mac, ip, "
                                        "srcport, dstport, proto, vlan, ethtype, ...)");
  vm->add_option("--capture-point", f.capture_point, "pktcap-uw capture point (e.g. VnicRx)");
  vm->add_option("--stage", f.stage, "pre or post");
  vm->add_option("--duration", f.duration, "stop after this long (30s, 5m, 1h30m)");
  vm->add_option("--packets", f.packets, "stop after this many frames");
  vm->add_option("--size", f.size, "stop after this much data (500MB, 2GiB)");
  vm->add_option("--boots", f.boots, "stop after this many boots of the VM");
  vm->add_option("-w,--write", f.output, "output pcapng file, or - for stdout");
  vm->add_option("--rotate-size", f.rotate_size, "start a new file at this size");
  vm->add_option("--rotate-time", f.rotate_time, "start a new file after this long");
  vm->add_option("--rotate-packets", f.rotate_packets, "start a new file after this many frames");
  vm->add_option("--ring", f.ring, "keep only the newest N files");
  vm->add_option("--snaplen", f.snaplen, "bytes kept per frame (0 = all)");
  vm->add_option("--drs", f.drs, "DRS override during the session: manual (default), "
                                 "partiallyAutomated, fullyAutomated or none");
  vm->add_option("--bridge", f.bridge, "on/off: cover port changes with a MAC-filtered uplink "
                                       "capture (default on)");
  vm->add_flag("--dry-run", dry, "show what would be captured and changed, change nothing");
  vm->callback([&] {
    auto r = plan::spec_from_flags(f, load_options());
    if (!r.spec) {
      std::fprintf(stderr, "%s", r.diagnostics.str().c_str());
      exit_code = session::kExitUsage;
      return;
    }
    // An output that cannot be written is found before vCenter is contacted and
    // anything (a DRS override, a capture) is changed.
    const std::string& out = r.spec->output.path;
    if (!dry && !out.empty() && out != "-") {
      if (auto st = capture::check_output_writable(out); !st) {
        std::fprintf(stderr, "-w: %s\n", st.error().message.c_str());
        exit_code = session::kExitUsage;
        return;
      }
    }
    exit_code = dry ? session::dry_run(*r.spec, g) : session::run_session(*r.spec, g);
  });

  add_plan_command(app, exit_code,
                   [&](const model::SessionSpec& spec) { return session::run_session(spec, g); });
  add_merge_command(app, exit_code);

  app.add_subcommand("status", "List running and left-over capture sessions")->callback([&] {
    StatusOptions o;
    o.state_dir = g.state_dir.empty() ? orchestrator::default_state_dir() : g.state_dir;
    o.me = ::geteuid();
    exit_code = show_status(o, std::cout, std::cerr);
  });
  std::string fetch_dir = ".";
  auto* cleanup = app.add_subcommand("cleanup",
                                     "Stop captures and restore DRS overrides that crashed or "
                                     "killed sessions left behind, and fetch the capture files "
                                     "of their on-host output");
  cleanup
      ->add_option("--into", fetch_dir,
                   "Directory for the fetched capture files (vmc-<session>-<host>-<port>-...pcap; "
                   "`capture merge` makes one pcapng of them)")
      ->type_name("DIR")
      ->capture_default_str();
  cleanup->callback([&] { exit_code = session::run_cleanup(g, fetch_dir); });

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version exit 0; every command-line error is a usage error (2).
    const int rc = app.exit(e);
    return rc == 0 ? 0 : session::kExitUsage;
  }
  return exit_code;
}

}  // namespace vmc::cli
