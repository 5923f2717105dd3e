// The session manifest: a JSON file beside the capture saying which pins were captured
// (host, port, direction, when, how much), the gaps between them, the events seen,
// the DRS actions taken and the final counts. Times are UTC, RFC 3339 with nanoseconds.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "util/result.h"

namespace vmc::capture {

struct ManifestPin {
  std::string interface;  // pcapng interface name, "esx01:33554442:in"
  std::string host;
  std::string port;       // switch port id, or uplink "vmnic0"
  std::string direction;  // "in", "out", "both"
  std::string vm;
  std::string nic;        // NIC label
  std::string mac;
  int64_t start_ns = 0;
  std::optional<int64_t> end_ns;
  uint64_t frames = 0;
  uint64_t bytes = 0;
  std::optional<uint64_t> dropped;  // as pktcap-uw reported
  std::string end_reason;
  std::string error;                // the stream's error, if it ended on one
};

struct ManifestGap {
  std::string vm;
  int64_t from_ns = 0;
  int64_t to_ns = 0;
  std::string reason;
};

struct ManifestEvent {
  int64_t at_ns = 0;
  std::string kind;    // "moved", "reset", "re-pinned", ...
  std::string detail;
};

struct ManifestDrsAction {
  int64_t at_ns = 0;
  std::string cluster;
  std::string vm;
  std::string action;  // "set-override", "restore"
  std::string detail;  // before/after behaviour
};

struct Manifest {
  std::string tool;  // "vm-capture 0.1.0"
  std::string session;
  std::string vcenter;
  std::string plan;
  int64_t start_ns = 0;
  int64_t end_ns = 0;
  std::string stop_reason;
  std::vector<std::string> files;
  std::vector<ManifestPin> pins;
  std::vector<ManifestGap> gaps;
  std::vector<ManifestEvent> events;
  std::vector<ManifestDrsAction> drs_actions;
  uint64_t frames = 0;
  uint64_t bytes = 0;
  uint64_t duplicates_removed = 0;
  uint64_t late_frames = 0;  // arrived after newer frames had been written
  uint64_t files_removed = 0;  // by the ring
  /// Hosts whose frame times were moved onto this machine's time line, by how much.
  std::map<std::string, int64_t> clock_corrections_ns;
  std::vector<std::string> errors;
};

/// "2026-11-26T07:17:01.123456789Z".
std::string format_time(int64_t ns);

nlohmann::json to_json(const Manifest& m);

/// Where the manifest of `output` goes: "cap.pcapng" -> "cap.manifest.json".
std::string manifest_path_for(const std::string& output);

/// Writes the manifest atomically with mode 0600.
Status write_manifest(const std::string& path, const Manifest& m);

}  // namespace vmc::capture
