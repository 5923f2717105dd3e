#include "report/report_json.h"

#include <fmt/format.h>

namespace vmc::report {
namespace {

using nlohmann::json;

double rel_s(int64_t t, int64_t at) { return static_cast<double>(t - at) / 1e9; }

template <typename T, typename F>
json opt(const std::optional<T>& v, F f) {
  return v ? json(f(*v)) : json(nullptr);
}

json opt_ip(const std::optional<Ipv4>& v) {
  return opt(v, [](const Ipv4& a) { return a.str(); });
}

json dhcp_json(const DhcpInfo& d) {
  return {{"type", to_string(d.type)},
          {"op", d.op},
          {"xid", d.xid},
          {"secs", d.secs},
          {"client_mac", d.client_mac.str()},
          {"ciaddr", d.ciaddr.str()},
          {"yiaddr", d.yiaddr.str()},
          {"siaddr", d.siaddr.str()},
          {"giaddr", d.giaddr.str()},
          {"server_id", opt_ip(d.server_id)},
          {"requested_ip", opt_ip(d.requested_ip)},
          {"lease_s", opt(d.lease_s, [](uint32_t s) { return s; })},
          {"hostname", d.hostname},
          {"message", d.message},
          {"vendor_class", d.vendor_class},
          {"tftp_server", d.tftp_server},
          {"boot_file", d.boot_file},
          {"options_complete", d.options_complete}};
}

json arp_json(const ArpInfo& a) {
  return {{"kind", to_string(a.kind)},       {"op", a.op},
          {"sender_mac", a.sender_mac.str()}, {"sender_ip", a.sender_ip.str()},
          {"target_mac", a.target_mac.str()}, {"target_ip", a.target_ip.str()}};
}

json tftp_json(const TftpInfo& t) {
  return {{"op", to_string(t.op)},       {"file", t.file},         {"mode", t.mode},
          {"block", t.block},            {"data_len", t.data_len}, {"error_code", t.error_code},
          {"error_message", t.error_message}};
}

}  // namespace

json event_json(const BootEvent& e, int64_t boot_ns) {
  json j = {{"t_ns", e.ts_ns},
            {"t_s", rel_s(e.ts_ns, boot_ns)},
            {"kind", to_string(e.kind)},
            {"summary", describe(e)},
            {"src_mac", e.src_mac.str()},
            {"dst_mac", e.dst_mac.str()},
            {"ethertype", e.ethertype},
            {"vlan", opt(e.vlan, [](uint16_t v) { return v; })},
            {"src_ip", e.src_ip4 ? json(e.src_ip4->str()) : e.src_ip6 ? json(e.src_ip6->str()) : json(nullptr)},
            {"dst_ip", e.dst_ip4 ? json(e.dst_ip4->str()) : e.dst_ip6 ? json(e.dst_ip6->str()) : json(nullptr)},
            {"src_port", e.src_port},
            {"dst_port", e.dst_port},
            {"truncated", e.truncated},
            {"problem", e.problem}};
  if (const auto* d = e.dhcp()) j["dhcp"] = dhcp_json(*d);
  if (const auto* a = e.arp()) j["arp"] = arp_json(*a);
  if (const auto* t = e.tftp()) j["tftp"] = tftp_json(*t);
  if (const auto* d6 = e.dhcpv6()) {
    j["dhcpv6"] = {{"msg_type", d6->msg_type},
                   {"type", dhcpv6_type_name(d6->msg_type)},
                   {"xid", d6->xid},
                   {"client_mac", opt(d6->client_mac, [](const Mac& m) { return m.str(); })}};
  }
  if (const auto* i6 = e.icmpv6()) j["icmpv6"] = {{"type", i6->type}, {"code", i6->code}};
  return j;
}

json boot_json(const BootReport& r) {
  const int64_t at = r.boot.at_ns;
  auto t = [&](const std::optional<int64_t>& v) { return opt(v, [&](int64_t x) { return rel_s(x, at); }); };
  json offers = json::array();
  for (const OfferSeen& o : r.offers) {
    offers.push_back({{"t_s", rel_s(o.at_ns, at)},
                      {"xid", o.xid},
                      {"server", o.server.str()},
                      {"server_mac", o.server_mac.str()},
                      {"offered", o.offered.str()},
                      {"latency_s", opt(o.latency_ns, [](int64_t ns) { return static_cast<double>(ns) / 1e9; })},
                      {"since_first_discover_s", opt(o.since_first_ns, [](int64_t ns) { return static_cast<double>(ns) / 1e9; })},
                      {"discovers_before", o.discovers_before},
                      {"taken", o.taken}});
  }
  json servers = json::array();
  for (const Ipv4& s : r.servers) servers.push_back(s.str());
  json lease = nullptr;
  if (r.lease) {
    lease = {{"t_s", rel_s(r.lease->at_ns, at)},
             {"xid", r.lease->xid},
             {"address", r.lease->address.str()},
             {"server", r.lease->server.str()},
             {"lease_s", opt(r.lease->lease_s, [](uint32_t s) { return s; })}};
  }
  json tftp = json::array();
  for (const TftpTransfer& x : r.tftp) {
    tftp.push_back({{"t_s", rel_s(x.at_ns, at)},
                    {"file", x.file},
                    {"server", x.server.str()},
                    {"blocks", x.blocks},
                    {"bytes", x.bytes},
                    {"complete", x.complete},
                    {"error_code", opt(x.error_code, [](uint16_t c) { return c; })},
                    {"error_message", x.error_message}});
  }
  json events = json::array();
  for (const BootEvent& e : r.events) events.push_back(event_json(e, at));
  json findings = json::array();
  for (const Finding& f : r.findings) {
    findings.push_back({{"kind", to_string(f.kind)}, {"t_ns", f.at_ns}, {"t_s", rel_s(f.at_ns, at)}, {"text", f.text}});
  }
  return {{"trigger", to_string(r.boot.trigger)},
          {"at_ns", at},
          {"source", r.boot.source},
          {"host", r.boot.host},
          {"moved_from", r.boot.moved_from},
          {"window", {{"from_ns", r.from_ns}, {"to_ns", opt(r.to_ns, [](int64_t v) { return v; })}}},
          {"first_frame_s", t(r.first_frame_ns)},
          {"first_dhcp_s", t(r.first_dhcp_ns)},
          {"first_traffic_after_lease_s", t(r.first_traffic_after_lease_ns)},
          {"dhcp",
           {{"discovers", r.discovers}, {"requests", r.requests}, {"servers", servers}, {"offers", offers}, {"lease", lease}}},
          {"tftp", tftp},
          {"frames", {{"malformed", r.malformed}, {"truncated", r.truncated}}},
          {"findings", findings},
          {"events", events}};
}

json report_json(const Report& r) {
  json boots = json::array();
  for (const BootReport& b : r.boots) boots.push_back(boot_json(b));
  return {{"format", kBootReportFormat}, {"events_before_first_boot", r.events_before_first_boot}, {"boots", boots}};
}

}  // namespace vmc::report
