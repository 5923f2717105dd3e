// What integration tests wait on, instead of fixed sleeps: records of the lab's
// truth.jsonl (a port assigned, a boot's DHCP exchange on the wire), the session's
// journal (a capture started on a port) and log lines. Each is read fresh at every call:
// pass them to wait_until() with a deadline. Header-only, like capture_process.h.
#pragma once

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "lab_fixture.h"

namespace vmc::itest {

/// The truth.jsonl records of kind `ev` whose line holds `needle`, parsed: a cheap scan of
/// a file that holds every frame (only matching lines are parsed).
inline std::vector<nlohmann::json> truth_with(const Lab& lab, const std::string& ev, const std::string& needle) {
  std::vector<nlohmann::json> out;
  std::ifstream f(lab.state_dir() + "/truth.jsonl");
  const std::string tag = "\"" + ev + "\"";
  for (std::string line; std::getline(f, line);) {
    if (line.find(tag) == std::string::npos || line.find(needle) == std::string::npos) continue;
    auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!j.is_discarded() && j.value("ev", "") == ev) out.push_back(std::move(j));  // not one being written
  }
  return out;
}

/// The host and switch port the lab last gave `vm` ({"", 0} before any).
inline std::pair<std::string, int64_t> current_port(const Lab& lab, const std::string& vm) {
  std::pair<std::string, int64_t> last{"", 0};
  for (const auto& r : truth_with(lab, "port-assign", vm))
    if (r.value("vm", "") == vm) last = {r.value("host", ""), r.at("port").get<int64_t>()};
  return last;
}

/// DHCP frames of `vm` that crossed one of its own ports (a broadcast also crosses the
/// others') at or after `since_ns`: four per boot once its exchange is done.
inline int dhcp_frames_of(const Lab& lab, const std::string& vm, int64_t since_ns = 0) {
  std::set<int64_t> own;
  for (const auto& r : truth_with(lab, "port-assign", vm))
    if (r.value("vm", "") == vm) own.insert(r.at("port").get<int64_t>());
  int n = 0;
  for (const auto& r : truth_with(lab, "frame", "dhcp"))
    n += r.value("vm", "") == vm && r.contains("port") && own.count(r.at("port").get<int64_t>()) &&
         r.value("kind", "").rfind("dhcp", 0) == 0 && r.value("t", int64_t{0}) >= since_ns;
  return n;
}

/// Frames that crossed `host`'s switch port `port` at or after `since_ns`.
inline int frames_on(const Lab& lab, const std::string& host, int64_t port, int64_t since_ns) {
  int n = 0;
  for (const auto& r : truth_with(lab, "frame", std::to_string(port)))
    n += r.value("host", "") == host && r.value("port", int64_t{0}) == port && r.value("t", int64_t{0}) >= since_ns;
  return n;
}

/// How many truth records of kind `ev` name `vm` ("power-off", "migrate", ...).
inline size_t truth_count(const Lab& lab, const std::string& ev, const std::string& vm) {
  size_t n = 0;
  for (const auto& r : truth_with(lab, ev, vm)) n += r.value("vm", "") == vm;
  return n;
}

/// The time of the last record truth.jsonl holds (0 when none): the lab flushes it every
/// 20 ms, so a reader waits for this to pass the end of the window it reads.
inline int64_t truth_latest(const Lab& lab) {
  std::ifstream f(lab.state_dir() + "/truth.jsonl", std::ios::ate);
  const std::streamoff size = f.tellg();
  if (size <= 0) return 0;
  const std::streamoff from = size > 65536 ? size - 65536 : 0;
  f.seekg(from);
  int64_t t = 0;
  for (std::string line; std::getline(f, line);) {
    auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_object()) t = std::max(t, j.value("t", int64_t{0}));
  }
  return t;
}

/// How many captures the sessions journaled in `state_dir` have started.
inline size_t captures_started(const std::string& state_dir) {
  size_t n = 0;
  std::error_code ec;
  for (const auto& f : std::filesystem::directory_iterator(state_dir, ec)) {
    if (f.path().extension() != ".jsonl") continue;
    std::ifstream in(f.path());
    for (std::string line; std::getline(in, line);) n += line.find("\"process.started\"") != std::string::npos;
  }
  return n;
}

/// Whether a session journaled in `state_dir` started a capture of `host`'s switch port
/// `port` (a "process.started" record of pin "<host> port <port> ...").
inline bool capture_started(const std::string& state_dir, const std::string& host, int64_t port) {
  const std::string pin = host + " port " + std::to_string(port) + " ";
  std::error_code ec;
  for (const auto& f : std::filesystem::directory_iterator(state_dir, ec)) {
    if (f.path().extension() != ".jsonl") continue;
    std::ifstream in(f.path());
    for (std::string line; std::getline(in, line);) {
      auto r = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
      if (r.is_object() && r.value("type", "") == "process.started" &&
          r.value("pin_name", "").rfind(pin, 0) == 0)
        return true;
    }
  }
  return false;
}

/// Whether the session journaled in `state_dir` captures `vm`'s current port.
inline bool captures_current_port(const Lab& lab, const std::string& state_dir, const std::string& vm) {
  const auto [host, port] = current_port(lab, vm);
  return port != 0 && capture_started(state_dir, host, port);
}

/// testvm1 (or `vm`) powered on at `host`, through the lab's control endpoint; a test
/// that needs the VM somewhere puts it there itself.
inline void put_vm(const Lab& lab, const std::string& vm, const std::string& host) {
  for (const auto& v : nlohmann::json::parse(lab.get("/state"))) {
    if (v.value("name", "") != vm) continue;
    if (v.value("host", "") != host) lab.post("/vm/" + vm + "/migrate?to=" + host);
    if (!v.value("powered_on", false)) lab.post("/vm/" + vm + "/poweron");
  }
}

}  // namespace vmc::itest
