#include "mirror/collector.h"

#include <fmt/format.h>
#include <pcap/pcap.h>
#include <unistd.h>

#include <algorithm>
#include <climits>

#include "mirror/link.h"

namespace vmc::mirror {
namespace {

std::string self_path() {
  char buf[PATH_MAX];
  const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string("capture");
}

}  // namespace

std::string permission_hint(const std::string& binary) {
  return fmt::format(
      "capturing packets needs the CAP_NET_RAW and CAP_NET_ADMIN capabilities: run as root, or grant "
      "them to the binary once, as Wireshark's dumpcap is installed: sudo setcap "
      "cap_net_raw,cap_net_admin=eip {}",
      binary);
}

Collector::Collector(pcap* p, std::string filter) : p_(p), filter_(std::move(filter)) {
  link_type_ = pcap_datalink(p_);
}

Collector::~Collector() { pcap_close(p_); }

Result<std::unique_ptr<Collector>> Collector::open(const CollectorOptions& o) {
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  pcap_t* p = pcap_create(o.interface.c_str(), errbuf);
  if (p == nullptr) {
    return Error("mirror.capture", fmt::format("capture on {}: {}", o.interface, errbuf));
  }
  auto fail = [&](const std::string& code, const std::string& msg) {
    pcap_close(p);
    return Error(code, msg);
  };
  pcap_set_snaplen(p, o.snaplen);
  pcap_set_promisc(p, 0);  // the packets are addressed to this machine
  pcap_set_timeout(p, o.timeout_ms);
  pcap_set_immediate_mode(p, 1);
  pcap_set_buffer_size(p, o.buffer_bytes);
  pcap_set_tstamp_precision(p, PCAP_TSTAMP_PRECISION_NANO);
  const int rc = pcap_activate(p);
  if (rc == PCAP_ERROR_PERM_DENIED) {
    return fail("mirror.permission", fmt::format("capture on {}: {}; {}", o.interface, pcap_geterr(p),
                                                 permission_hint(self_path())));
  }
  if (rc < 0) {
    const std::string why = rc == PCAP_ERROR_NO_SUCH_DEVICE ? "no such interface" : pcap_geterr(p);
    return fail("mirror.capture", fmt::format("capture on {}: {}", o.interface, why));
  }
  std::string filter = "ip proto 47";
  if (o.destination) filter += " and dst host " + format_ipv4(*o.destination);
  bpf_program prog{};
  if (pcap_compile(p, &prog, filter.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0 || pcap_setfilter(p, &prog) != 0) {
    const std::string why = pcap_geterr(p);
    pcap_freecode(&prog);
    return fail("mirror.capture", fmt::format("filter \"{}\" on {}: {}", filter, o.interface, why));
  }
  pcap_freecode(&prog);
  return std::unique_ptr<Collector>(new Collector(p, std::move(filter)));
}

void Collector::on_packet(unsigned char* user, const ::pcap_pkthdr* h, const unsigned char* bytes) {
  auto* self = reinterpret_cast<Collector*>(user);
  ++self->stats_.packets;
  const std::span<const uint8_t> data(bytes, h->caplen);
  auto ip = ipv4_in_link_frame(self->link_type_, data);
  if (!ip) {
    ++self->stats_.bad;
    self->stats_.last_error = ip.error();
    return;
  }
  auto d = decapsulate(*ip);
  if (!d) {
    ++self->stats_.bad;
    self->stats_.last_error = d.error();
    return;
  }
  ++self->stats_.frames;
  // With nanosecond precision, tv_usec holds nanoseconds.
  const int64_t ns = static_cast<int64_t>(h->ts.tv_sec) * 1'000'000'000 + h->ts.tv_usec;
  (*self->handler_)(ns, *d);
}

Result<size_t> Collector::read(size_t max, const Handler& on_frame) {
  handler_ = &on_frame;
  const int n = pcap_dispatch(p_, static_cast<int>(std::min<size_t>(max, INT_MAX)), &Collector::on_packet,
                              reinterpret_cast<unsigned char*>(this));
  handler_ = nullptr;
  if (n < 0) return Error("mirror.capture", fmt::format("capture: {}", pcap_geterr(p_)));
  return static_cast<size_t>(n);
}

Collector::Stats Collector::stats() const {
  Stats s = stats_;
  pcap_stat ps{};
  if (pcap_stats(p_, &ps) == 0) s.dropped = uint64_t{ps.ps_drop} + ps.ps_ifdrop;
  return s;
}

}  // namespace vmc::mirror
