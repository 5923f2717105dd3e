// pktcap-uw command lines, built from a typed request and validated so that nothing a
// plan or a user typed can turn into an extra option. Quoting happens later, once, in
// util::shell_join (remote_command.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "model/session_spec.h"
#include "util/result.h"

namespace vmc::host {

enum class TargetKind { SwitchPort, Uplink, Vmk };

struct PktcapTarget {
  TargetKind kind = TargetKind::SwitchPort;
  int64_t port_id = 0;  // SwitchPort
  std::string name;     // Uplink: "vmnic0"; Vmk: "vmk0"
  std::string str() const;  // "switchport 33554442", "uplink vmnic0"
};

struct PktcapRequest {
  PktcapTarget target;
  model::Direction direction = model::Direction::Both;
  std::optional<int> stage;        // --stage 0|1
  std::string capture_point;       // --capture X[,Y]; replaces --dir (the point has one)
  int snaplen = 0;                 // -s N; 0 = whole frame (option not passed)
  std::optional<uint64_t> count;   // -c N
  model::Filter filter;
  std::string output = "-";        // "-" (stdout) or an absolute path on the host
  bool pcapng = false;             // --ng; only with a file output
};

/// One pktcap-uw process to run: its direction as passed by --dir (0 in, 1 out, 2 both;
/// nullopt when a capture point decides) and its argument vector (argv[0] "pktcap-uw").
struct PlannedProcess {
  std::optional<int> dir;
  std::vector<std::string> argv;
};

/// argv for one process with `--dir dir` (nullopt: no --dir). Code "pktcap.args" with
/// the offending field named.
Result<std::vector<std::string>> build_pktcap_argv(const PktcapRequest& req, std::optional<int> dir);

/// Processes needed for `req` on a host running ESXi `host_version`: one with --dir 2
/// where model::supports_dir_both(), else one per direction (--dir 0 and --dir 1) for
/// Direction::Both; one for In/Out or a capture point. With two processes and a file
/// output, each gets "-in"/"-out" before the extension ("a.pcap" -> "a-in.pcap").
Result<std::vector<PlannedProcess>> plan_pktcap(const PktcapRequest& req,
                                                const std::string& host_version);

}  // namespace vmc::host
