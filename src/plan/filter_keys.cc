#include "plan/filter_keys.h"

#include <cstdio>

#include "plan/suggest.h"
#include "plan/values.h"

namespace vmc::plan {

const std::vector<std::string>& filter_keys() {
  static const std::vector<std::string> keys{"mac",   "srcmac",  "dstmac",  "ip",      "srcip",
                                             "dstip", "vlan",    "proto",   "srcport", "dstport",
                                             "tcpport", "ethtype", "rcf"};
  return keys;
}

namespace {

template <typename T>
Status store(std::optional<T>& field, Result<T> value, std::string_view /*key*/) {
  if (!value) return value.error();
  field = std::move(*value);
  return {};
}

std::string hex(int v, int width) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%0*x", width, static_cast<unsigned>(v));
  return buf;
}

}  // namespace

Status set_filter_key(model::Filter& f, std::string_view key, std::string_view value) {
  if (key == "mac") return store(f.mac, parse_mac(value), key);
  if (key == "srcmac") return store(f.srcmac, parse_mac(value), key);
  if (key == "dstmac") return store(f.dstmac, parse_mac(value), key);
  if (key == "ip") return store(f.ip, parse_ipv4(value, false), key);
  if (key == "srcip") return store(f.srcip, parse_ipv4(value, true), key);
  if (key == "dstip") return store(f.dstip, parse_ipv4(value, true), key);
  if (key == "vlan") return store(f.vlan, parse_vlan(value), key);
  if (key == "proto") return store(f.proto, parse_proto(value), key);
  if (key == "srcport") return store(f.srcport, parse_port(value), key);
  if (key == "dstport") return store(f.dstport, parse_port(value), key);
  if (key == "tcpport") return store(f.tcpport, parse_port(value), key);
  if (key == "ethtype") return store(f.ethtype, parse_ethtype(value), key);
  if (key == "rcf") return store(f.rcf, parse_rcf(value), key);
  std::string msg = "unknown filter '" + std::string(key) + "'";
  if (auto s = closest(key, filter_keys())) msg += "; did you mean '" + *s + "'?";
  msg += " expected one of: " + join_alternatives(filter_keys());
  return Error("plan.unknown-key", msg);
}

std::vector<std::pair<std::string, std::string>> filter_items(const model::Filter& f) {
  std::vector<std::pair<std::string, std::string>> out;
  auto add_s = [&](const char* k, const std::optional<std::string>& v) {
    if (v) out.emplace_back(k, *v);
  };
  auto add_i = [&](const char* k, const std::optional<int>& v) {
    if (v) out.emplace_back(k, std::to_string(*v));
  };
  add_s("mac", f.mac);
  add_s("srcmac", f.srcmac);
  add_s("dstmac", f.dstmac);
  add_s("ip", f.ip);
  add_s("srcip", f.srcip);
  add_s("dstip", f.dstip);
  add_i("vlan", f.vlan);
  if (f.proto) out.emplace_back("proto", hex(*f.proto, 2));
  add_i("srcport", f.srcport);
  add_i("dstport", f.dstport);
  add_i("tcpport", f.tcpport);
  if (f.ethtype) out.emplace_back("ethtype", hex(*f.ethtype, 4));
  add_s("rcf", f.rcf);
  return out;
}

}  // namespace vmc::plan
