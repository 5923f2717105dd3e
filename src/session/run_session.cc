#include "session/run_session.h"

#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <filesystem>

#include <spdlog/spdlog.h>

#include "capture/manifest.h"
#include "capture/session_output.h"
#include "orchestrator/journal.h"
#include "orchestrator/runtime.h"
#include "orchestrator/sessions.h"
#include "orchestrator/system_clock.h"
#include "session/cleanup_command.h"
#include "session/credentials.h"
#include "session/on_host_control.h"
#include "session/output_sink.h"
#include "session/status_line.h"
#include "session/stop_signal.h"
#include "session/vcenter_api.h"

namespace vmc::session {

namespace {

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

/// The closing note on stderr; returns the exit code.
int report_end(const Result<orchestrator::SessionSummary>& result, const std::string& session_id,
               uint64_t frames, const std::string& output, bool kept_on_hosts) {
  if (!result.ok()) {
    spdlog::error("session failed: {}", result.error().message);
    return kExitFailed;
  }
  const auto& sum = *result;
  std::fprintf(stderr,
               "session %s ended (%s): %llu frames, %zu pin span(s), %zu re-pin(s), %d boot(s), "
               "%zu gap(s)\n",
               session_id.c_str(), orchestrator::to_string(sum.end_reason),
               static_cast<unsigned long long>(frames), sum.pins.size(), sum.repins.size(), sum.boots,
               sum.gaps.size());
  auto median = sum.median_repin_latency();
  auto worst = sum.worst_repin_latency();
  if (median && worst) {
    std::fprintf(stderr, "re-pin latency: median %lld ms, worst %lld ms\n",
                 static_cast<long long>(median->count()), static_cast<long long>(worst->count()));
  }
  if (output != "-") {
    std::fprintf(stderr, "output: %s (manifest %s)\n", output.c_str(),
                 capture::manifest_path_for(output).c_str());
  }
  if (sum.end_reason == orchestrator::EndReason::Error) {
    spdlog::error("session failed: {}", sum.error);
    return kExitFailed;
  }
  return kept_on_hosts ? kExitFailed : kExitOk;
}

}  // namespace

std::string state_dir(const GlobalOptions& g) {
  return g.state_dir.empty() ? orchestrator::default_state_dir() : g.state_dir;
}

void fill_default_output(model::SessionSpec& spec) {
  if (!spec.output.path.empty()) return;
  std::string base = spec.vms.empty() ? std::string("capture") : spec.vms.front().vm;
  for (char& c : base) {
    if (c == '/' || c == ' ' || c == ':') c = '_';
  }
  auto t = std::time(nullptr);
  char ts[32];
  std::strftime(ts, sizeof ts, "%Y%m%dT%H%M%SZ", std::gmtime(&t));
  spec.output.path = base + "-" + ts + ".pcapng";
}

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

int run_session(const model::SessionSpec& spec_in, const GlobalOptions& g) {
  model::SessionSpec spec = spec_in;
  fill_default_output(spec);
  const auto& stop_flag = install_stop_signals();

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

  const std::string session_id = orchestrator::make_session_id(std::chrono::system_clock::now(), getpid());
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

  // Frames fetched from a host long after they were captured say nothing about its clock.
  auto sink = OutputSink::open(capture::session_output_options(spec, vcenter_url, session_id),
                               /*correct_host_clocks=*/!spec.output.on_host);
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
    ev.note = [out](const std::string& text) { out->comment(std::chrono::system_clock::now(), text); };
    on_host = std::make_unique<OnHostConnector>(ssh_hosts, std::move(oh), std::move(ev));
  }
  orchestrator::HostConnector& hosts =
      on_host ? static_cast<orchestrator::HostConnector&>(*on_host) : ssh_hosts;
  orchestrator::SystemClock clock;
  orchestrator::RuntimeOptions ro;
  ro.session_id = session_id;
  ro.pid = getpid();
  ro.stop_flag = &stop_flag;
  orchestrator::Runtime runtime(spec, **vcport, hosts, clock, **sink, **journal, ro);

  spdlog::info("capturing to {} (session {}); Ctrl-C stops and finalizes", spec.output.path, session_id);
  Result<orchestrator::SessionSummary> result = Error("orchestrator.never-ran", "the session did not run");
  {
    // A live status line on a terminal; plain log lines otherwise.
    StatusLine status(isatty(STDERR_FILENO) && spec.output.path != "-" && !g.json_logs && !g.quiet,
                      [&] { return (*sink)->totals(); });
    result = runtime.run();
  }
  for (const auto& e : (*sink)->take_errors()) spdlog::warn("output: {}", e);
  const bool kept_on_hosts = on_host && !finish_on_host(*on_host, staging, spec.output.path);
  return report_end(result, session_id, (*sink)->totals().frames, spec.output.path, kept_on_hosts);
}

}  // namespace vmc::session
