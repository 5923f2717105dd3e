#include "report/boot_analysis.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>

#include "report/frame_parser.h"

namespace vmc::report {

const char* to_string(BootTrigger t) {
  switch (t) {
    case BootTrigger::PowerOn: return "power-on";
    case BootTrigger::Reset: return "reset";
    case BootTrigger::GuestReboot: return "guest reboot";
    case BootTrigger::HaRestart: return "HA restart";
    case BootTrigger::Unknown: return "boot";
  }
  return "boot";
}

const char* to_string(FindingKind k) {
  switch (k) {
    case FindingKind::NoDiscover: return "no-discover";
    case FindingKind::NoOffer: return "no-offer";
    case FindingKind::Retransmissions: return "retransmissions";
    case FindingKind::SlowServer: return "slow-server";
    case FindingKind::MultipleServers: return "multiple-servers";
    case FindingKind::Nak: return "nak";
    case FindingKind::NoAck: return "no-ack";
    case FindingKind::Decline: return "decline";
    case FindingKind::AddressConflict: return "address-conflict";
    case FindingKind::TftpError: return "tftp-error";
    case FindingKind::CaptureGap: return "capture-gap";
  }
  return "?";
}

namespace {

/// Seconds with milliseconds: "3.000 s".
std::string secs(int64_t ns) { return fmt::format("{:.3f} s", static_cast<double>(ns) / 1e9); }
/// On the boot's clock: "+1.234 s".
std::string rel(int64_t t, int64_t at) { return fmt::format("{:+.3f} s", static_cast<double>(t - at) / 1e9); }

Ipv4 server_of(const BootEvent& e, const DhcpInfo& d) {
  if (d.server_id) return *d.server_id;
  return e.src_ip4.value_or(Ipv4{});
}

}  // namespace

BootAnalyzer::BootAnalyzer(std::vector<Boot> boots, std::vector<CaptureGap> gaps, AnalysisOptions options)
    : boots_(std::move(boots)), gaps_(std::move(gaps)), opt_(std::move(options)) {
  std::stable_sort(boots_.begin(), boots_.end(), [](const Boot& a, const Boot& b) { return a.at_ns < b.at_ns; });
  windows_.resize(boots_.size());
}

bool BootAnalyzer::vm(const Mac& m) const {
  return opt_.vm_macs.empty() || std::find(opt_.vm_macs.begin(), opt_.vm_macs.end(), m) != opt_.vm_macs.end();
}

bool BootAnalyzer::involves_vm(const BootEvent& e) const {
  if (opt_.vm_macs.empty() || vm(e.src_mac) || vm(e.dst_mac)) return true;
  if (const auto* d = e.dhcp()) return vm(d->client_mac);
  if (const auto* a = e.arp()) return vm(a->sender_mac) || vm(a->target_mac);
  if (const auto* d6 = e.dhcpv6()) return d6->client_mac && vm(*d6->client_mac);
  return false;
}

void BootAnalyzer::add(const BootEvent& e) {
  // The boot whose window holds the event: the last one starting (less the slack) at
  // or before it.
  const auto it = std::upper_bound(boots_.begin(), boots_.end(), e.ts_ns, [&](int64_t t, const Boot& b) {
    return t < b.at_ns - opt_.clock_slack_ns;
  });
  if (it == boots_.begin()) {
    if (involves_vm(e)) ++before_;
    return;
  }
  Window& w = windows_[static_cast<size_t>(it - boots_.begin() - 1)];
  if (!involves_vm(e)) {
    // Another machine's ARP for an address the VM probes: the conflict (RFC 5227 2.1.1).
    if (const auto* a = e.arp(); a && !a->sender_ip.zero() && w.probed.count(a->sender_ip)) w.story.push_back(e);
    return;
  }
  if (e.kind == EventKind::Malformed) {
    ++w.malformed;
    return;
  }
  if (e.truncated) ++w.truncated;
  const bool from_vm = vm(e.src_mac);
  if (from_vm && (!w.first_frame_ns || e.ts_ns < *w.first_frame_ns)) w.first_frame_ns = e.ts_ns;
  switch (e.kind) {
    case EventKind::Dhcp:
      if (e.dhcp()->type == DhcpType::Ack && !e.dhcp()->from_client() && !w.first_ack_ns) w.first_ack_ns = e.ts_ns;
      w.story.push_back(e);
      break;
    case EventKind::Arp:
      if (e.arp()->kind == ArpKind::Probe && from_vm) w.probed.insert(e.arp()->target_ip);
      w.story.push_back(e);
      break;
    case EventKind::Tftp:
      if (e.tftp()->op == TftpOp::Data) {
        if (!e.src_ip4 || !e.dst_ip4) break;
        TransferSeen& t = w.transfers[{*e.src_ip4, *e.dst_ip4, e.src_port, e.dst_port}];
        if (t.blocks == 0) t.first_ns = e.ts_ns;
        ++t.blocks;
        t.bytes += e.tftp()->data_len;
        if (e.tftp()->data_len < 512) t.complete = true;
      } else if (e.tftp()->op != TftpOp::Ack) {
        w.story.push_back(e);
      }
      break;
    case EventKind::Dhcpv6:
    case EventKind::Icmpv6:
      w.story.push_back(e);
      break;
    case EventKind::Ip:
      if (from_vm && w.first_ack_ns && e.ts_ns >= *w.first_ack_ns && !w.first_traffic_after_lease_ns) {
        w.first_traffic_after_lease_ns = e.ts_ns;
      }
      break;
    case EventKind::Other:
    case EventKind::Malformed:
      break;
  }
}

Report BootAnalyzer::finish() const {
  Report r;
  r.events_before_first_boot = before_;
  for (size_t i = 0; i < boots_.size(); ++i) r.boots.push_back(report(i));
  return r;
}

BootReport BootAnalyzer::report(size_t i) const {
  const Window& w = windows_[i];
  BootReport r;
  r.boot = boots_[i];
  const int64_t at = r.boot.at_ns;
  r.from_ns = at - opt_.clock_slack_ns;
  if (i + 1 < boots_.size()) {
    r.to_ns = boots_[i + 1].at_ns - opt_.clock_slack_ns;
  } else {
    r.to_ns = opt_.capture_end_ns;
  }
  r.events = w.story;
  std::stable_sort(r.events.begin(), r.events.end(), [](const BootEvent& a, const BootEvent& b) { return a.ts_ns < b.ts_ns; });
  r.first_frame_ns = w.first_frame_ns;
  r.first_traffic_after_lease_ns = w.first_traffic_after_lease_ns;
  r.malformed = w.malformed;
  r.truncated = w.truncated;
  const char* trigger = to_string(r.boot.trigger);
  auto find = [&](FindingKind k, int64_t t, std::string text) { r.findings.push_back({k, t, std::move(text)}); };

  // DHCP, in time order.
  std::map<uint32_t, std::vector<int64_t>> discovers;     // xid -> times
  std::map<uint32_t, std::vector<const BootEvent*>> requests;
  std::map<uint32_t, bool> answered;                      // xid -> an ACK or NAK came
  struct ServerSeen {
    Mac mac;
    std::optional<Ipv4> offered;
    int64_t worst_offer_ns = 0, worst_ack_ns = 0;
    int64_t first_ns = 0;
  };
  std::map<Ipv4, ServerSeen> seen;
  for (const BootEvent& e : r.events) {
    const DhcpInfo* d = e.dhcp();
    if (!d || !vm(d->client_mac)) continue;
    if (d->from_client()) {
      switch (d->type) {
        case DhcpType::Discover:
          ++r.discovers;
          discovers[d->xid].push_back(e.ts_ns);
          if (!r.first_dhcp_ns) r.first_dhcp_ns = e.ts_ns;
          break;
        case DhcpType::Request:
          ++r.requests;
          requests[d->xid].push_back(&e);
          if (!r.first_dhcp_ns) r.first_dhcp_ns = e.ts_ns;
          break;
        case DhcpType::Decline:
          find(FindingKind::Decline, e.ts_ns,
               fmt::format("DHCPDECLINE of {} to {} (xid 0x{:08x}, {}): the guest found the address in use",
                           d->requested_ip ? d->requested_ip->str() : std::string("?"),
                           d->server_id ? d->server_id->str() : std::string("?"), d->xid, rel(e.ts_ns, at)));
          break;
        default:
          break;
      }
      continue;
    }
    const Ipv4 server = server_of(e, *d);
    auto [s, fresh] = seen.try_emplace(server);
    if (fresh) {
      s->second.mac = e.src_mac;
      s->second.first_ns = e.ts_ns;
      r.servers.push_back(server);
    }
    switch (d->type) {
      case DhcpType::Offer: {
        OfferSeen o;
        o.at_ns = e.ts_ns;
        o.xid = d->xid;
        o.server = server;
        o.server_mac = e.src_mac;
        o.offered = d->yiaddr;
        if (const auto x = discovers.find(d->xid); x != discovers.end() && !x->second.empty()) {
          o.latency_ns = e.ts_ns - x->second.back();
          o.since_first_ns = e.ts_ns - x->second.front();
          o.discovers_before = static_cast<int>(x->second.size());
          s->second.worst_offer_ns = std::max(s->second.worst_offer_ns, *o.latency_ns);
        }
        if (!s->second.offered) s->second.offered = d->yiaddr;
        r.offers.push_back(o);
        break;
      }
      case DhcpType::Ack: {
        answered[d->xid] = true;
        r.lease = Lease{e.ts_ns, d->xid, d->yiaddr.zero() ? d->ciaddr : d->yiaddr, server, d->lease_s};
        if (const auto q = requests.find(d->xid); q != requests.end() && !q->second.empty()) {
          s->second.worst_ack_ns = std::max(s->second.worst_ack_ns, e.ts_ns - q->second.back()->ts_ns);
        }
        break;
      }
      case DhcpType::Nak: {
        answered[d->xid] = true;
        std::string asked = "an address";
        if (const auto q = requests.find(d->xid); q != requests.end() && !q->second.empty()) {
          if (const auto& req = q->second.back()->dhcp()->requested_ip) asked = req->str();
        }
        std::string text = fmt::format("DHCPNAK from {} to the REQUEST for {} (xid 0x{:08x}, {})", server.str(), asked,
                                       d->xid, rel(e.ts_ns, at));
        if (!d->message.empty()) text += fmt::format(": \"{}\"", d->message);
        find(FindingKind::Nak, e.ts_ns, text + "; the guest must start over");
        break;
      }
      default:
        break;
    }
  }
  for (OfferSeen& o : r.offers) {
    const auto q = requests.find(o.xid);
    if (q == requests.end()) continue;
    for (const BootEvent* req : q->second) {
      const DhcpInfo* d = req->dhcp();
      if (req->ts_ns >= o.at_ns && d->server_id && *d->server_id == o.server && d->requested_ip == o.offered) {
        o.taken = true;
      }
    }
  }

  // No DISCOVER (or INIT-REBOOT REQUEST) within N s of the boot, where the boot lasted
  // that long as far as the capture knows.
  const int64_t deadline = at + opt_.discover_within_ns;
  const bool long_enough = !r.to_ns || *r.to_ns >= deadline;
  if (!r.first_dhcp_ns && long_enough) {
    find(FindingKind::NoDiscover, at, fmt::format("no DHCP DISCOVER (or REQUEST) from the guest within {} of the {}",
                                                  secs(opt_.discover_within_ns), trigger));
  } else if (r.first_dhcp_ns && *r.first_dhcp_ns > deadline) {
    find(FindingKind::NoDiscover, at, fmt::format("the first DHCP DISCOVER came only {} after the {} (more than {})",
                                                  secs(*r.first_dhcp_ns - at), trigger, secs(opt_.discover_within_ns)));
  }
  if (r.discovers > 0 && r.offers.empty()) {
    int64_t first = std::numeric_limits<int64_t>::max(), last = std::numeric_limits<int64_t>::min();
    for (const auto& [xid, ts] : discovers) first = std::min(first, ts.front()), last = std::max(last, ts.back());
    find(FindingKind::NoOffer, first, fmt::format("no DHCP OFFER: {} DISCOVER{} ({} to {}) went unanswered", r.discovers,
                                                  r.discovers == 1 ? "" : "s", rel(first, at), rel(last, at)));
  }
  std::set<uint32_t> retold;
  for (const OfferSeen& o : r.offers) {
    if (o.discovers_before > 1 && retold.insert(o.xid).second) {
      find(FindingKind::Retransmissions, o.at_ns,
           fmt::format("the guest sent DISCOVER {} times over {} before the first OFFER (xid 0x{:08x}): no server "
                       "answered at first",
                       o.discovers_before, secs(*o.since_first_ns), o.xid));
    }
  }
  for (const Ipv4& server : r.servers) {
    const ServerSeen& s = seen.at(server);
    std::vector<std::string> slow;
    if (s.worst_offer_ns > opt_.slow_reply_ns) slow.push_back(fmt::format("OFFER {} after the DISCOVER", secs(s.worst_offer_ns)));
    if (s.worst_ack_ns > opt_.slow_reply_ns) slow.push_back(fmt::format("ACK {} after the REQUEST", secs(s.worst_ack_ns)));
    if (!slow.empty()) {
      find(FindingKind::SlowServer, s.first_ns,
           fmt::format("slow DHCP server {}: {}", server.str(), fmt::join(slow, ", ")));
    }
  }
  if (r.servers.size() > 1) {
    std::vector<std::string> who;
    for (const Ipv4& server : r.servers) {
      const ServerSeen& s = seen.at(server);
      who.push_back(fmt::format("{} ({}){}", server.str(), s.mac.str(),
                                s.offered ? " offering " + s.offered->str() : std::string()));
    }
    std::string text = fmt::format("{} DHCP servers answered: {}", r.servers.size(), fmt::join(who, ", "));
    if (r.lease) text += fmt::format("; the guest took {} from {}", r.lease->address.str(), r.lease->server.str());
    find(FindingKind::MultipleServers, seen.at(r.servers[1]).first_ns, text + " (a rogue DHCP server?)");
  }
  for (const auto& [xid, reqs] : requests) {
    if (answered.count(xid)) continue;
    const DhcpInfo* d = reqs.front()->dhcp();
    find(FindingKind::NoAck, reqs.front()->ts_ns,
         fmt::format("REQUEST for {}{} (xid 0x{:08x}, {}, sent {} time{}) was answered by neither ACK nor NAK",
                     d->requested_ip ? d->requested_ip->str() : d->ciaddr.str(),
                     d->server_id ? " to " + d->server_id->str() : std::string(), xid, rel(reqs.front()->ts_ns, at),
                     reqs.size(), reqs.size() == 1 ? "" : "s"));
  }

  // ARP: another machine answering the guest's probe (RFC 5227 2.1.1).
  std::set<Ipv4> conflicts;
  for (const BootEvent& p : r.events) {
    const ArpInfo* probe = p.arp();
    if (!probe || probe->kind != ArpKind::Probe || !vm(probe->sender_mac) || conflicts.count(probe->target_ip)) continue;
    for (const BootEvent& e : r.events) {
      const ArpInfo* a = e.arp();
      if (!a || e.ts_ns < p.ts_ns || e.ts_ns > p.ts_ns + opt_.conflict_window_ns) continue;
      if (a->sender_ip == probe->target_ip && a->sender_mac != probe->sender_mac) {
        conflicts.insert(probe->target_ip);
        find(FindingKind::AddressConflict, e.ts_ns,
             fmt::format("address conflict: {} answered the guest's ARP probe for {} ({})", a->sender_mac.str(),
                         probe->target_ip.str(), rel(e.ts_ns, at)));
        break;
      }
    }
  }

  // TFTP: the guest's read requests, the data and errors that answer them.
  for (const BootEvent& q : r.events) {
    const TftpInfo* rrq = q.tftp();
    if (!rrq || rrq->op != TftpOp::Rrq || !vm(q.src_mac) || !q.src_ip4 || !q.dst_ip4) continue;
    TftpTransfer t;
    t.at_ns = q.ts_ns;
    t.file = rrq->file;
    t.server = *q.dst_ip4;
    for (const auto& [key, seen_data] : w.transfers) {
      if (key.client == *q.src_ip4 && key.client_port == q.src_port && key.server == *q.dst_ip4 &&
          seen_data.first_ns >= q.ts_ns) {
        t.blocks += seen_data.blocks;
        t.bytes += seen_data.bytes;
        t.complete = t.complete || seen_data.complete;
      }
    }
    for (const BootEvent& e : r.events) {
      const TftpInfo* err = e.tftp();
      if (!err || err->op != TftpOp::Error || e.ts_ns < q.ts_ns || e.dst_ip4 != q.src_ip4 || e.dst_port != q.src_port) {
        continue;
      }
      t.error_code = err->error_code;
      t.error_message = err->error_message;
      find(FindingKind::TftpError, e.ts_ns,
           fmt::format("TFTP error {} \"{}\" for {} from {} ({})", err->error_code, err->error_message, rrq->file,
                       e.src_ip4 ? e.src_ip4->str() : std::string("?"), rel(e.ts_ns, at)));
      break;
    }
    r.tftp.push_back(std::move(t));
  }

  for (const CaptureGap& g : gaps_) {
    if (g.to_ns <= r.from_ns || (r.to_ns && g.from_ns >= *r.to_ns)) continue;
    find(FindingKind::CaptureGap, std::max(g.from_ns, r.from_ns),
         fmt::format("capture gap from {} to {} ({}{}): frames of this boot may be missing", rel(g.from_ns, at),
                     rel(g.to_ns, at), secs(g.to_ns - g.from_ns), g.why.empty() ? std::string() : ", " + g.why));
  }
  std::stable_sort(r.findings.begin(), r.findings.end(), [](const Finding& a, const Finding& b) { return a.at_ns < b.at_ns; });
  return r;
}

Report analyze(std::vector<Boot> boots, std::span<const BootEvent> events, std::vector<CaptureGap> gaps,
               AnalysisOptions options) {
  BootAnalyzer a(std::move(boots), std::move(gaps), std::move(options));
  for (const BootEvent& e : events) a.add(e);
  return a.finish();
}

Report analyze_frames(std::vector<Boot> boots, std::span<const Frame> frames, std::vector<CaptureGap> gaps,
                      AnalysisOptions options) {
  BootAnalyzer a(std::move(boots), std::move(gaps), std::move(options));
  for (const Frame& f : frames) a.add(parse_boot_frame(f.data, f.ts_ns, f.orig_len));
  return a.finish();
}

}  // namespace vmc::report
