// pktcap-uw's stderr, one line at a time, turned into events; PktcapStatus folds them
// into what the controller needs: has it started, which port, did it fail, final counts.
// Real message texts (including pktcap-uw's own misspelling "specifed") are in
// VSPHERE-NOTES.md "pktcap-uw".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace vmc::host {

enum class PktcapLineKind {
  SwitchPortId,     // "The switch port id is 0x0400002e."            -> number
  OutputFile,       // "pktcap: The output file is -."                -> text
  ServerPort,       // "pktcap: No server port specifed, select 7799 as the port." -> number
  LocalCid,         // "pktcap: Local CID 2."                         -> number
  Listening,        // "pktcap: Listen on port 7799."                 -> number
  Accepting,        // "pktcap: Accept..."
  Connected,        // "pktcap: Vsock connection from port 1096 cid 2." -> number=port, number2=cid
  DumpStats,        // "Dump: 9344, broken : 0, drop: 0, file err: 0" -> dump/broken/drop/file_err
  WriteError,       // "error: Error writing 16 bytes of pkt header to file" -> text
  JoinFailed,       // "Join with dump thread failed"
  DestroyingSession,// "Destroying session 5."                        -> number
  Dumped,           // "Dumped 10241 packet to file X, dropped 0 packets." -> number, text, drop
  Done,             // "Done."
  NoSuchCapturePoint,  // "error: No such capture point: X"           -> text
  UsageError,       // unknown option / usage text / invalid argument -> text
  OtherError,       // any other line starting "error" / "Error"      -> text
  Info,             // anything else                                   -> text
};

const char* to_string(PktcapLineKind k);

struct PktcapLine {
  PktcapLineKind kind = PktcapLineKind::Info;
  int64_t number = 0;
  int64_t number2 = 0;
  std::string text;
  // DumpStats / Dumped:
  int64_t dump = 0, broken = 0, drop = 0, file_err = 0;
};

/// Classifies one line (without its newline; a trailing '\r' is ignored).
PktcapLine parse_pktcap_line(std::string_view line);

enum class PktcapState {
  Starting,   // launched, nothing known yet
  Capturing,  // pktcap-uw reported its port / output / listener: it is up
  Stopping,   // it has begun to tear down (stats or "Destroying session")
  Done,       // "Done." seen
  Failed,     // an error line was seen (it may still print its final counts)
};

const char* to_string(PktcapState s);

/// What the stderr stream says so far.
class PktcapStatus {
 public:
  /// Feeds one line; returns the classified line.
  PktcapLine feed(std::string_view line);

  PktcapState state() const { return state_; }
  std::optional<int64_t> switch_port() const { return switch_port_; }
  /// First error line seen, with its kind ("" when none).
  const std::string& error() const { return error_; }
  std::optional<PktcapLineKind> error_kind() const { return error_kind_; }
  bool write_failed() const { return write_failed_; }
  /// From "Dump: N, broken : B, drop: D, file err: F".
  std::optional<PktcapLine> final_stats() const { return stats_; }
  /// From "Dumped N packet to file X, dropped D packets.".
  std::optional<PktcapLine> dumped() const { return dumped_; }

 private:
  PktcapState state_ = PktcapState::Starting;
  std::optional<int64_t> switch_port_;
  std::string error_;
  std::optional<PktcapLineKind> error_kind_;
  bool write_failed_ = false;
  std::optional<PktcapLine> stats_;
  std::optional<PktcapLine> dumped_;
};

}  // namespace vmc::host
