// The boot report's analysis: a VM's boots (when and why, from vCenter's events) and
// the events of its frames (frame_parser.h) -> one report per boot: its network story
// on the boot's clock and findings in words (no DISCOVER, no OFFER, two servers, NAK,
// DECLINE, an address conflict, a slow server, TFTP errors, a capture gap).
//
// Pure: no I/O, no clock. BootAnalyzer takes events one at a time (a capture of millions
// of frames keeps only what a boot's story needs); analyze() and analyze_frames() are
// the whole thing in one call.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <tuple>
#include <vector>

#include "report/boot_event.h"

namespace vmc::report {

enum class BootTrigger : uint8_t { PowerOn, Reset, GuestReboot, HaRestart, Unknown };
/// "power-on", "reset", "guest reboot", "HA restart", "boot".
const char* to_string(BootTrigger t);

/// One boot of the VM, as vCenter told it.
struct Boot {
  int64_t at_ns = 0;
  BootTrigger trigger = BootTrigger::PowerOn;
  std::string source;      // the vCenter event that said so ("VmResettingEvent", ...)
  std::string host;        // where it booted
  std::string moved_from;  // the host it left in a move just before this boot, if any
};

/// A time when the capture did not see the VM's port (a re-pin, a host lost).
struct CaptureGap {
  int64_t from_ns = 0;
  int64_t to_ns = 0;
  std::string why;
};

struct AnalysisOptions {
  /// The VM's NIC MACs; frames that involve none of them are not its story. Empty:
  /// every frame is the VM's (a capture of one NIC).
  std::vector<Mac> vm_macs;
  /// "No DISCOVER within N s of power-on".
  int64_t discover_within_ns = 60'000'000'000;
  /// An OFFER (or ACK) later than this after the message it answers is a slow server.
  int64_t slow_reply_ns = 1'000'000'000;
  /// Frames this long before a boot's vCenter time already belong to it (vCenter's and
  /// the hosts' clocks differ a little).
  int64_t clock_slack_ns = 1'000'000'000;
  /// How long after an ARP probe another machine's ARP for the address is a conflict
  /// (RFC 5227 2.1.1: until ANNOUNCE_WAIT after the last of the probes, about 7 s).
  int64_t conflict_window_ns = 10'000'000'000;
  /// When the capture ended (the last boot's frames end there).
  std::optional<int64_t> capture_end_ns;
};

enum class FindingKind : uint8_t {
  NoDiscover,
  NoOffer,
  Retransmissions,
  SlowServer,
  MultipleServers,
  Nak,
  NoAck,
  Decline,
  AddressConflict,
  TftpError,
  CaptureGap,
};
/// "no-discover", "no-offer", "retransmissions", "slow-server", "multiple-servers",
/// "nak", "no-ack", "decline", "address-conflict", "tftp-error", "capture-gap".
const char* to_string(FindingKind k);

struct Finding {
  FindingKind kind;
  int64_t at_ns = 0;  // when it shows (the boot's time for what never happened)
  std::string text;   // a sentence for people
};

struct OfferSeen {
  int64_t at_ns = 0;
  uint32_t xid = 0;
  Ipv4 server;  // its server identifier (option 54), else the IP source
  Mac server_mac;
  Ipv4 offered;
  /// Since the latest DISCOVER of its xid before it (unknown without one).
  std::optional<int64_t> latency_ns;
  /// Since the first DISCOVER of its xid, and how many DISCOVERs of it came before.
  std::optional<int64_t> since_first_ns;
  int discovers_before = 0;
  bool taken = false;  // a REQUEST named its server and address
};

struct Lease {
  int64_t at_ns = 0;  // the ACK
  uint32_t xid = 0;
  Ipv4 address;
  Ipv4 server;
  std::optional<uint32_t> lease_s;
};

/// A TFTP read of the VM: its request, what came back.
struct TftpTransfer {
  int64_t at_ns = 0;  // the RRQ
  std::string file;
  Ipv4 server;
  uint32_t blocks = 0;  // DATA blocks seen
  uint64_t bytes = 0;
  bool complete = false;  // a DATA block shorter than 512 bytes came
  std::optional<uint16_t> error_code;
  std::string error_message;
};

struct BootReport {
  Boot boot;
  int64_t from_ns = 0;           // its frames: from here ...
  std::optional<int64_t> to_ns;  // ... to here (the next boot, or the capture's end)
  /// The boot's network story in time order: DHCP, ARP, TFTP requests and errors,
  /// DHCPv6, ICMPv6 of the VM (and the ARP answers to its probes).
  std::vector<BootEvent> events;
  std::optional<int64_t> first_frame_ns;          // the first frame from the VM
  std::optional<int64_t> first_dhcp_ns;           // its first DISCOVER or REQUEST
  int discovers = 0;
  int requests = 0;
  std::vector<OfferSeen> offers;
  std::vector<Ipv4> servers;  // every DHCP server that answered, in order
  std::optional<Lease> lease;  // the last ACK
  std::vector<TftpTransfer> tftp;
  /// The first frame from the VM after the lease that is not DHCP, ARP, TFTP or IPv6
  /// configuration: the guest at work.
  std::optional<int64_t> first_traffic_after_lease_ns;
  int malformed = 0;  // frames of the VM that could not be read
  int truncated = 0;  // frames of the VM cut by the snaplen
  std::vector<Finding> findings;  // in time order
};

struct Report {
  std::vector<BootReport> boots;  // in time order
  int events_before_first_boot = 0;
};

class BootAnalyzer {
 public:
  BootAnalyzer(std::vector<Boot> boots, std::vector<CaptureGap> gaps, AnalysisOptions options);

  /// One event. Events come in time order (as a capture file holds them): ARP conflicts
  /// and the first traffic after a lease are found as they pass.
  void add(const BootEvent& e);

  Report finish() const;

 private:
  struct TransferKey {
    Ipv4 server, client;
    uint16_t server_port, client_port;
    friend auto operator<=>(const TransferKey&, const TransferKey&) = default;
  };
  struct TransferSeen {
    int64_t first_ns = 0;
    uint32_t blocks = 0;
    uint64_t bytes = 0;
    bool complete = false;
  };
  struct Window {
    std::vector<BootEvent> story;
    std::map<TransferKey, TransferSeen> transfers;
    std::set<Ipv4> probed;  // addresses the VM probed
    std::optional<int64_t> first_frame_ns;
    std::optional<int64_t> first_ack_ns;
    std::optional<int64_t> first_traffic_after_lease_ns;
    int malformed = 0;
    int truncated = 0;
  };

  bool vm(const Mac& m) const;
  bool involves_vm(const BootEvent& e) const;
  BootReport report(size_t i) const;

  std::vector<Boot> boots_;
  std::vector<CaptureGap> gaps_;
  AnalysisOptions opt_;
  std::vector<Window> windows_;
  int before_ = 0;
};

Report analyze(std::vector<Boot> boots, std::span<const BootEvent> events, std::vector<CaptureGap> gaps,
               AnalysisOptions options);

/// A frame as the capture holds it.
struct Frame {
  int64_t ts_ns = 0;
  std::span<const uint8_t> data;
  uint32_t orig_len = 0;  // 0: data.size()
};

/// parse_boot_frame on every frame, then analyze.
Report analyze_frames(std::vector<Boot> boots, std::span<const Frame> frames, std::vector<CaptureGap> gaps,
                      AnalysisOptions options);

}  // namespace vmc::report
