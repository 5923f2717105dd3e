#include "session/cleanup_command.h"

#include <cstdio>
#include <filesystem>

#include <spdlog/spdlog.h>

#include "orchestrator/system_clock.h"
#include "session/credentials.h"
#include "session/host_connector.h"
#include "session/vcenter_api.h"

namespace vmc::session {

std::string format_cleanup(const std::vector<orchestrator::SessionCleanup>& done, bool& all_done) {
  all_done = true;
  std::string out;
  for (const auto& s : done) {
    out += "session " + s.id + ": " + std::to_string(s.report.killed) + " capture(s) stopped, " +
           std::to_string(s.report.restored) + " override(s) restored";
    if (s.report.fetched > 0) out += ", " + std::to_string(s.report.fetched) + " capture file(s) fetched";
    out += "\n";
    for (const auto& n : s.report.notes) out += "  " + n + "\n";
    for (const auto& e : s.report.errors) {
      out += "  NOT DONE: " + e.message + "\n";
      all_done = false;
    }
  }
  if (!all_done) out += "some steps failed; fix the cause and run `capture cleanup` again\n";
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
  auto done = orchestrator::cleanup_sessions(state_dir(g), orchestrator::pid_alive, hosts, **adapter, clock);
  for (const auto& s : done) {
    for (const auto& n : s.report.notes) spdlog::info("cleanup of session {}: {}", s.id, n);
    for (const auto& e : s.report.errors) {
      spdlog::warn("cleanup of session {}: {} (run `capture cleanup` again)", s.id, e.message);
    }
  }
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
      spdlog::error("cannot use {} for the fetched capture files: {} (give another with --into)", fetch_dir,
                    ec ? ec.message() : "not a directory");
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
  auto done =
      orchestrator::cleanup_sessions(state_dir(g), orchestrator::pid_alive, hosts, **adapter, clock, options);
  bool all_done = true;
  std::fputs(format_cleanup(done, all_done).c_str(), stdout);
  return all_done ? kExitOk : kExitFailed;
}

}  // namespace vmc::session
