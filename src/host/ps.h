// `ps` output on an ESXi host, used only to confirm that a PID we started is (or is no
// longer) our pktcap-uw.
//
// Accepted (document for the lab's simulated `ps` too):
//  - An optional header line (first non-blank line whose first field is not a number).
//    Recognised column names: PID or WID (the process id), CID (ESXi cartel id),
//    COMMAND / CMD / ARGS / Command (the command line, runs to the end of the line);
//    "World Name" counts as one column. Other columns (USER, TIME, ...) are skipped by
//    position. Without a COMMAND column the last column runs to the end of the line.
//      WID      CID      World Name           Command
//      2099101  2099100  pktcap-uw            pktcap-uw --switchport 33554442 -o -
//    or busybox style:  "  PID USER       TIME  COMMAND"
//  - Without a header: "<pid> <command...>" per line.
// A row whose id column is not a number is an error (code "ps.parse").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.h"

namespace vmc::host {

struct ProcessRow {
  int64_t pid = 0;
  std::optional<int64_t> cid;
  std::string command;  // command line or world name, as printed
  friend bool operator==(const ProcessRow&, const ProcessRow&) = default;
};

Result<std::vector<ProcessRow>> parse_ps(std::string_view text);

/// The row whose PID (or, on ESXi, cartel id) is `pid`.
std::optional<ProcessRow> find_process(const std::vector<ProcessRow>& rows, int64_t pid);

/// True when the row's command names pktcap-uw (as a word: "pktcap-uw" or ".../pktcap-uw").
bool is_pktcap(const ProcessRow& row);

}  // namespace vmc::host
