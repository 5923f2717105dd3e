#include "session/run_session.h"

#include <signal.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <limits>
#include <sstream>
#include <thread>

#include <spdlog/spdlog.h>

#include "capture/manifest.h"
#include "host/on_host_output.h"
#include "orchestrator/journal.h"
#include "orchestrator/runtime.h"
#include "orchestrator/sessions.h"
#include "orchestrator/system_clock.h"
#include "session/on_host_port.h"
#include "session/output_sink.h"
#include "session/vcenter_port.h"

namespace vmc::session {

namespace {

std::atomic<bool> g_stop{false};

void on_signal(int) { g_stop = true; }

void install_signals() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);  // a closed stdout (wireshark quit) is an error, not a death
}

const char* env_lookup(const char* name) { return std::getenv(name); }

Result<std::string> read_credential_file(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) {
    return Error("credentials.file", "--credential-file " + path + ": cannot read it");
  }
  if ((st.st_mode & 077) != 0) {
    return Error("credentials.mode", "--credential-file " + path +
                                         ": readable by others; run `chmod 600 " + path +
                                         "` (a password file must be private)");
  }
  std::ifstream f(path);
  std::string pw;
  std::getline(f, pw);
  if (pw.empty()) return Error("credentials.file", "--credential-file " + path + ": empty");
  return pw;
}

std::string prompt_password(const std::string& what) {
  if (!isatty(STDIN_FILENO)) return "";
  std::fprintf(stderr, "%s: ", what.c_str());
  termios old {};
  tcgetattr(STDIN_FILENO, &old);
  termios quiet = old;
  quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
  tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  std::string pw;
  std::getline(std::cin, pw);
  tcsetattr(STDIN_FILENO, TCSANOW, &old);
  std::fprintf(stderr, "\n");
  return pw;
}

/// `url`, when given, gets the vCenter's URL (for the manifest).
Result<std::unique_ptr<vsphere::VCenter>> connect_vcenter(const GlobalOptions& g,
                                                          std::string* url = nullptr) {
  auto opts = vsphere::resolve_connect_options(g.vcenter, env_lookup);
  if (!opts.ok()) return opts.error();
  if (url != nullptr) *url = opts->url;
  if (opts->password.empty() && !g.credential_file.empty()) {
    auto pw = read_credential_file(g.credential_file);
    if (!pw.ok()) return pw.error();
    opts->password = *pw;
  }
  if (opts->password.empty()) {
    opts->password = prompt_password("vCenter password for " + opts->user);
  }
  if (opts->password.empty()) {
    return Error("credentials.missing",
                 "no vCenter password: set GOVC_PASSWORD, use --credential-file FILE, or run "
                 "on a terminal to be asked");
  }
  if (opts->insecure) {
    spdlog::warn("--insecure: the vCenter certificate is NOT verified; anyone on the path can "
                 "read the password. Prefer --ca-file or --thumbprint.");
  }
  spdlog::info("connecting to {}", vsphere::describe(*opts));
  return vsphere::VCenter::connect(*opts);
}

std::string default_output(const model::SessionSpec& spec) {
  std::string base = spec.vms.empty() ? std::string("capture") : spec.vms.front().vm;
  for (char& c : base) {
    if (c == '/' || c == ' ' || c == ':') c = '_';
  }
  auto t = std::time(nullptr);
  char ts[32];
  std::strftime(ts, sizeof ts, "%Y%m%dT%H%M%SZ", std::gmtime(&t));
  return base + "-" + ts + ".pcapng";
}

std::string state_dir(const GlobalOptions& g) {
  return g.state_dir.empty() ? orchestrator::default_state_dir() : g.state_dir;
}

std::string human_bytes(uint64_t b) {
  const char* unit[] = {"B", "KB", "MB", "GB", "TB"};
  double v = static_cast<double>(b);
  int i = 0;
  while (v >= 1000 && i < 4) {
    v /= 1000;
    ++i;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, i == 0 ? "%.0f %s" : "%.1f %s", v, unit[i]);
  return buf;
}

/// Names the output after the first VM, as the user typed it.
void fill_default_output(model::SessionSpec& spec) {
  if (spec.output.path.empty()) spec.output.path = default_output(spec);
}

/// After an on-host session: names every capture file left on a host (not fetched), and
/// removes the local staging copies once the output is complete (its manifest written).
/// Returns false when a file was left on a host.
bool finish_on_host(const OnHostConnector& on_host, const std::string& staging,
                    const std::string& output) {
  auto kept = on_host.kept();
  for (const auto& k : kept) spdlog::error("left on the host: {}", k);
  std::error_code ec;
  if (staging.empty() || !std::filesystem::exists(staging, ec)) return kept.empty();
  if (output != "-" && !std::filesystem::exists(capture::manifest_path_for(output), ec)) {
    spdlog::warn("the output was not completed; the files fetched from the hosts are kept in {}",
                 staging);
    return kept.empty();
  }
  std::filesystem::remove_all(staging, ec);
  if (ec) spdlog::warn("cannot remove the fetched copies in {}: {}", staging, ec.message());
  return kept.empty();
}

/// Resolves the spec's VM targets to managed object ids (names can repeat: find_vm
/// refuses an ambiguous one), so the orchestrator matches exactly the VM found here.
Result<std::vector<model::VmInfo>> resolve_targets(vsphere::VCenter& vc, model::SessionSpec& spec) {
  std::vector<model::VmInfo> out;
  for (auto& t : spec.vms) {
    auto vm = vc.find_vm(t.vm);
    if (!vm.ok()) return vm.error();
    t.vm = vm->ref.value;
    out.push_back(std::move(*vm));
  }
  return out;
}

void undo_leftovers(const GlobalOptions& g, vsphere::VCenter& vc) {
  SshHostConnector hosts(g.ssh);
  orchestrator::SystemClock clock;
  auto adapter = VCenterAdapter::create(vc, {}, {});
  if (!adapter.ok()) {
    spdlog::warn("cannot check for left-over sessions: {}", adapter.error().message);
    return;
  }
  auto done = orchestrator::cleanup_sessions(state_dir(g), orchestrator::pid_alive, hosts,
                                             **adapter, clock);
  for (const auto& s : done) {
    for (const auto& n : s.report.notes) spdlog::info("cleanup of session {}: {}", s.id, n);
    for (const auto& e : s.report.errors) {
      spdlog::warn("cleanup of session {}: {} (run `capture cleanup` again)", s.id, e.message);
    }
  }
}

}  // namespace

int dry_run(const model::SessionSpec& spec_in, const GlobalOptions& g) {
  auto vc = connect_vcenter(g);
  if (!vc.ok()) {
    spdlog::error("{}", vc.error().message);
    return kExitConnect;
  }
  model::SessionSpec spec = spec_in;
  fill_default_output(spec);
  auto vms = resolve_targets(**vc, spec);
  if (!vms.ok()) {
    spdlog::error("{}", vms.error().message);
    return kExitFailed;
  }
  SshHostConnector hosts(g.ssh);
  std::ostringstream o;
  o << "dry run: nothing is started or changed\n";
  for (const auto& vm : *vms) {
    o << "VM " << vm.name << " (" << vm.ref.value << ", " << vm.path << ")\n";
    o << "  power:   " << model::to_string(vm.power) << "\n";
    auto host = (*vc)->host_info(vm.host);
    o << "  host:    " << vm.host_name;
    if (host.ok()) o << " (ESXi " << host->version << ")";
    o << "\n";
    if (!vm.cluster.empty()) {
      auto cl = (*vc)->cluster_info(vm.cluster);
      if (cl.ok()) {
        std::string before = "none (cluster default " + cl->default_behavior + ")";
        for (const auto& ov : cl->overrides) {
          if (ov.vm == vm.ref) before = ov.behavior;
        }
        o << "  cluster: " << cl->name << ", DRS " << (cl->drs_enabled ? "on" : "off")
          << ", VM overrides " << (cl->vm_overrides_enabled ? "enabled" : "DISABLED") << "\n";
        if (spec.drs.enabled) {
          o << "  DRS override: " << before << " -> " << spec.drs.behavior
            << " during the session, then back to " << before << "\n";
        } else {
          o << "  DRS override: left alone (drs: none)\n";
        }
      }
    } else {
      o << "  cluster: none (standalone host: no DRS override)\n";
    }
    orchestrator::HostPort* hp = nullptr;
    if (host.ok() && vm.power == model::PowerState::On) {
      auto c = hosts.connect(*host);
      if (c.ok()) {
        hp = *c;
      } else {
        o << "  ports:   cannot ask " << vm.host_name << ": " << c.error().message << "\n";
      }
    }
    for (const auto& nic : vm.nics) {
      o << "  NIC " << nic.label << "  " << nic.mac << "  " << nic.network;
      if (hp) {
        auto port = hp->resolve_port(nic.mac);
        if (port.ok() && *port) {
          o << "  port " << **port;
        } else if (port.ok()) {
          o << "  (no port on the host)";
        } else {
          o << "  (port unknown: " << port.error().message << ")";
        }
      }
      o << "\n";
    }
    if (host.ok()) {
      o << "  pktcap-uw: " << (model::supports_dir_both(host->version)
                                    ? "one process per NIC (--dir 2)"
                                    : "two processes per NIC (--dir 0 and --dir 1)");
      if (spec.output.on_host) {
        auto d = host::on_host_directory(spec.output);
        o << ", output written on the host in "
          << (d.ok() ? *d : "(refused: " + d.error().message + ")")
          << " and fetched when each capture stops\n";
      } else {
        o << ", output streamed with -o -\n";
      }
    }
  }
  o << "output:  " << spec.output.path << "\n";
  std::fputs(o.str().c_str(), stdout);
  return kExitOk;
}

int run_session(const model::SessionSpec& spec_in, const GlobalOptions& g) {
  model::SessionSpec spec = spec_in;
  fill_default_output(spec);
  install_signals();

  // Connect and find the targets before anything is started or changed.
  std::string vcenter_url;
  auto vc = connect_vcenter(g, &vcenter_url);
  if (!vc.ok()) {
    spdlog::error("{}", vc.error().message);
    return kExitConnect;
  }
  auto vms = resolve_targets(**vc, spec);
  if (!vms.ok()) {
    spdlog::error("{}", vms.error().message);
    return kExitFailed;
  }
  for (const auto& vm : *vms) {
    spdlog::info("VM {} ({}) on {}, {}, {} NIC(s)", vm.name, vm.ref.value, vm.host_name,
                 model::to_string(vm.power), vm.nics.size());
  }

  // What a crashed session left behind is undone first.
  undo_leftovers(g, **vc);

  // One session per VM: each restores the VM's DRS override when it ends, which would
  // take the protection from under the other.
  for (const auto& vm : *vms) {
    auto held = orchestrator::sessions_holding(state_dir(g), orchestrator::pid_alive, vm.ref, getpid());
    if (!held.empty()) {
      spdlog::error("{} is already captured by session {} (pid {}): stop that session first "
                    "(Ctrl-C in its terminal, or kill -TERM {}; `capture status` lists sessions), "
                    "or add this capture to its plan",
                    vm.name, held.front().id, held.front().pid, held.front().pid);
      return kExitFailed;
    }
  }

  std::vector<model::MoRef> refs;
  for (const auto& vm : *vms) refs.push_back(vm.ref);
  auto vcport = VCenterAdapter::create(**vc, refs, {});
  if (!vcport.ok()) {
    spdlog::error("cannot watch the VM(s): {}", vcport.error().message);
    return kExitFailed;
  }

  auto now = std::chrono::system_clock::now();
  std::string session_id = orchestrator::make_session_id(now, getpid());
  auto dir = state_dir(g);
  if (auto st = orchestrator::ensure_state_dir(dir); !st.ok()) {
    spdlog::error("{}", st.error().message);
    return kExitFailed;
  }
  auto journal = orchestrator::FileJournal::create(dir, session_id);
  if (!journal.ok()) {
    spdlog::error("{}", journal.error().message);
    return kExitFailed;
  }

  auto so = capture::session_output_options(spec, vcenter_url, session_id);
  // Frames fetched from a host long after they were captured say nothing about its clock.
  auto sink = OutputSink::open(so, /*correct_host_clocks=*/!spec.output.on_host);
  if (!sink.ok()) {
    spdlog::error("{}", sink.error().message);
    return kExitFailed;
  }

  // A host that does not answer holds the session loop at most this long (the other
  // hosts' captures and re-pins go on); it is tried again at every pass.
  SshHostConnector ssh_hosts(g.ssh, std::chrono::milliseconds(1500));
  std::unique_ptr<OnHostConnector> on_host;
  std::string staging;
  if (spec.output.on_host) {
    OnHostSettings oh;
    oh.session_id = session_id;
    oh.output = spec.output;
    staging = (spec.output.path == "-" ? dir + "/" + session_id : spec.output.path) + ".onhost";
    oh.staging_dir = staging;
    OnHostEvents ev;
    OutputSink* out = sink->get();
    ev.end_session = [out](const std::string& why) { out->fail(why); };
    ev.note = [out](const std::string& text) {
      out->comment(std::chrono::system_clock::now(), text);
    };
    on_host = std::make_unique<OnHostConnector>(ssh_hosts, std::move(oh), std::move(ev));
  }
  orchestrator::HostConnector& hosts =
      on_host ? static_cast<orchestrator::HostConnector&>(*on_host) : ssh_hosts;
  orchestrator::SystemClock clock;
  orchestrator::RuntimeOptions ro;
  ro.session_id = session_id;
  ro.pid = getpid();
  ro.stop_flag = &g_stop;
  orchestrator::Runtime runtime(spec, **vcport, hosts, clock, **sink, **journal, ro);

  // A live status line on a terminal; plain log lines otherwise.
  std::atomic<bool> done{false};
  std::thread status;
  bool tty = isatty(STDERR_FILENO) && spec.output.path != "-" && !g.json_logs && !g.quiet;
  if (tty) {
    status = std::thread([&] {
      auto start = std::chrono::steady_clock::now();
      while (!done) {
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        auto t = (*sink)->totals();
        auto secs = std::chrono::duration_cast<std::chrono::seconds>(
                        std::chrono::steady_clock::now() - start).count();
        std::fprintf(stderr, "\r\033[K%lds  %llu frames  %s  (Ctrl-C to stop)", static_cast<long>(secs),
                     static_cast<unsigned long long>(t.frames), human_bytes(t.bytes).c_str());
      }
      std::fprintf(stderr, "\r\033[K");
    });
  }

  spdlog::info("capturing to {} (session {}); Ctrl-C stops and finalizes", spec.output.path,
               session_id);
  auto result = runtime.run();
  done = true;
  if (status.joinable()) status.join();
  for (const auto& e : (*sink)->take_errors()) spdlog::warn("output: {}", e);
  const bool kept_on_hosts = on_host && !finish_on_host(*on_host, staging, spec.output.path);

  const orchestrator::SessionSummary* sum = nullptr;
  if (result.ok()) sum = &*result;
  if (sum) {
    auto median = sum->median_repin_latency();
    auto worst = sum->worst_repin_latency();
    std::fprintf(stderr,
                 "session %s ended (%s): %llu frames, %zu pin span(s), %zu re-pin(s), %d boot(s), "
                 "%zu gap(s)\n",
                 session_id.c_str(), orchestrator::to_string(sum->end_reason),
                 static_cast<unsigned long long>((*sink)->totals().frames), sum->pins.size(),
                 sum->repins.size(), sum->boots, sum->gaps.size());
    if (median && worst) {
      std::fprintf(stderr, "re-pin latency: median %lld ms, worst %lld ms\n",
                   static_cast<long long>(median->count()), static_cast<long long>(worst->count()));
    }
    if (spec.output.path != "-") {
      std::fprintf(stderr, "output: %s (manifest %s)\n", spec.output.path.c_str(),
                   capture::manifest_path_for(spec.output.path).c_str());
    }
    if (sum->end_reason == orchestrator::EndReason::Error) {
      spdlog::error("session failed: {}", sum->error);
      return kExitFailed;
    }
    return kept_on_hosts ? kExitFailed : kExitOk;
  }
  spdlog::error("session failed: {}", result.error().message);
  return kExitFailed;
}

int run_cleanup(const GlobalOptions& g, const std::string& fetch_dir) {
  auto list = orchestrator::list_sessions(state_dir(g), orchestrator::pid_alive);
  bool any = false, files = false;
  for (const auto& s : list) {
    if (s.state != orchestrator::SessionListing::State::LeftOver) continue;
    any = true;
    for (const auto& p : s.leftovers.kill) files |= !p.remote_file.empty();
  }
  if (!any) {
    std::puts("nothing to clean up: no left-over session");
    return kExitOk;
  }
  if (files) {
    std::error_code ec;
    std::filesystem::create_directories(fetch_dir, ec);
    if (ec || !std::filesystem::is_directory(fetch_dir)) {
      spdlog::error("cannot use {} for the fetched capture files: {} (give another with --into)",
                    fetch_dir, ec ? ec.message() : "not a directory");
      return kExitUsage;
    }
  }
  auto vc = connect_vcenter(g);
  if (!vc.ok()) {
    spdlog::error("{}", vc.error().message);
    return kExitConnect;
  }
  SshHostConnector hosts(g.ssh);
  orchestrator::SystemClock clock;
  auto adapter = VCenterAdapter::create(**vc, {}, {});
  if (!adapter.ok()) {
    spdlog::error("{}", adapter.error().message);
    return kExitFailed;
  }
  orchestrator::CleanupOptions options;
  options.fetch_dir = fetch_dir;
  auto done = orchestrator::cleanup_sessions(state_dir(g), orchestrator::pid_alive, hosts,
                                             **adapter, clock, options);
  int rc = kExitOk;
  for (const auto& s : done) {
    std::printf("session %s: %d capture(s) stopped, %d override(s) restored", s.id.c_str(),
                s.report.killed, s.report.restored);
    if (s.report.fetched > 0) std::printf(", %d capture file(s) fetched", s.report.fetched);
    std::printf("\n");
    for (const auto& n : s.report.notes) std::printf("  %s\n", n.c_str());
    for (const auto& e : s.report.errors) {
      std::printf("  NOT DONE: %s\n", e.message.c_str());
      rc = kExitFailed;
    }
  }
  if (rc != kExitOk) std::puts("some steps failed; fix the cause and run `capture cleanup` again");
  return rc;
}

}  // namespace vmc::session
