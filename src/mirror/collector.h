// The collector of a VDS port mirroring session: a live libpcap capture of the GRE
// packets (`ip proto 47`) arriving on the interface towards the hosts (route.h), each
// decapsulated (decap.h) and handed on with its capture time. `pcap_t` stays in here.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "mirror/decap.h"
#include "util/result.h"

struct pcap;
struct pcap_pkthdr;

namespace vmc::mirror {

struct CollectorOptions {
  std::string interface;                // e.g. route_to(host).interface
  std::optional<uint32_t> destination{};  // only packets to this address (the sessions' destination)
  int snaplen = 262144;                 // whole packets
  int buffer_bytes = 32 << 20;          // kernel buffer: room for bursts
  int timeout_ms = 50;                  // longest a read() waits when nothing arrives
};

class Collector {
 public:
  struct Stats {
    uint64_t packets = 0;  // GRE packets read
    uint64_t frames = 0;   // mirrored frames handed on
    uint64_t bad = 0;      // packets that did not decapsulate (last_error says why)
    uint64_t dropped = 0;  // packets the kernel dropped (pcap_stats ps_drop + ps_ifdrop)
    std::optional<Error> last_error;
  };

  /// Called for each mirrored frame; `d.frame` is valid during the call only.
  using Handler = std::function<void(int64_t capture_ns, const Decapsulated& d)>;

  /// Starts the capture. Errors: "mirror.permission" without CAP_NET_RAW (saying how to
  /// grant it), "mirror.capture" for the rest (no such interface, a filter libpcap
  /// refuses), with libpcap's words.
  static Result<std::unique_ptr<Collector>> open(const CollectorOptions& options);
  ~Collector();
  Collector(const Collector&) = delete;
  Collector& operator=(const Collector&) = delete;

  /// Reads what has arrived, waiting up to the timeout when nothing has: at most `max`
  /// packets. Returns the number of packets read; a capture error ("mirror.capture",
  /// the interface went away) ends the capture.
  Result<size_t> read(size_t max, const Handler& on_frame);

  Stats stats() const;
  const std::string& filter() const { return filter_; }
  int link_type() const { return link_type_; }

 private:
  Collector(pcap* p, std::string filter);
  static void on_packet(unsigned char* user, const ::pcap_pkthdr* h, const unsigned char* bytes);

  pcap* p_;
  std::string filter_;
  int link_type_ = 0;
  Stats stats_;
  const Handler* handler_ = nullptr;
};

/// What to tell a user whose capture was refused: grant the capability to `binary`.
std::string permission_hint(const std::string& binary);

}  // namespace vmc::mirror
