#include "host/pktcap_args.h"

#include <cstdio>

#include "host/text.h"
#include "model/inventory.h"
#include "model/mac.h"

namespace vmc::host {
namespace {

Error arg_error(const std::string& field, const std::string& msg) {
  return Error("pktcap.args", "pktcap-uw " + field + ": " + msg);
}

bool name_with_number(const std::string& s, std::string_view prefix) {
  if (s.size() <= prefix.size() || s.compare(0, prefix.size(), prefix) != 0) return false;
  for (size_t i = prefix.size(); i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  return s.size() - prefix.size() <= 6;
}

bool is_ip(const std::string& s) {
  if (s.empty() || s.size() > 45) return false;
  bool colon = s.find(':') != std::string::npos;
  for (char c : s) {
    bool ok = (c >= '0' && c <= '9') || c == '.' || (colon && (c == ':' || (c >= 'a' && c <= 'f') ||
                                                                (c >= 'A' && c <= 'F')));
    if (!ok) return false;
  }
  return true;
}

std::string hex(int v, int width) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%0*x", width, v);
  return buf;
}

bool safe_path(const std::string& p) {
  if (p.empty() || p[0] != '/' || p.size() > 1024) return false;
  for (char c : p) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return false;
  }
  return p.find("/../") == std::string::npos && p.substr(p.size() >= 3 ? p.size() - 3 : 0) != "/..";
}

}  // namespace

std::string PktcapTarget::str() const {
  switch (kind) {
    case TargetKind::SwitchPort: return "switchport " + std::to_string(port_id);
    case TargetKind::Uplink: return "uplink " + name;
    case TargetKind::Vmk: return "vmk " + name;
  }
  return "?";
}

Result<std::vector<std::string>> build_pktcap_argv(const PktcapRequest& req, std::optional<int> dir) {
  std::vector<std::string> a{"pktcap-uw"};
  switch (req.target.kind) {
    case TargetKind::SwitchPort:
      if (req.target.port_id <= 0 || req.target.port_id > 0xffffffffLL) {
        return arg_error("--switchport", "port id " + std::to_string(req.target.port_id) +
                                             " is not a switch port number");
      }
      a.insert(a.end(), {"--switchport", std::to_string(req.target.port_id)});
      break;
    case TargetKind::Uplink:
      if (!name_with_number(req.target.name, "vmnic")) {
        return arg_error("--uplink", excerpt(req.target.name) + " is not an uplink name like vmnic0");
      }
      a.insert(a.end(), {"--uplink", req.target.name});
      break;
    case TargetKind::Vmk:
      if (!name_with_number(req.target.name, "vmk")) {
        return arg_error("--vmk", excerpt(req.target.name) + " is not a vmkernel NIC name like vmk0");
      }
      a.insert(a.end(), {"--vmk", req.target.name});
      break;
  }
  if (!req.capture_point.empty()) {
    for (char c : req.capture_point) {
      bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '_' || c == ',';
      if (!ok) {
        return arg_error("--capture", excerpt(req.capture_point) +
                                          " is not a capture point name (list them with pktcap-uw -A)");
      }
    }
    if (req.stage) return arg_error("--stage", "give a stage or a capture point, not both");
    if (dir) return arg_error("--dir", "a capture point already fixes the direction");
    a.insert(a.end(), {"--capture", req.capture_point});
  }
  if (dir) {
    if (*dir < 0 || *dir > 2) return arg_error("--dir", std::to_string(*dir) + " is not 0, 1 or 2");
    a.insert(a.end(), {"--dir", std::to_string(*dir)});
  }
  if (req.stage) {
    if (*req.stage != 0 && *req.stage != 1) {
      return arg_error("--stage", std::to_string(*req.stage) + " is not 0 (pre) or 1 (post)");
    }
    a.insert(a.end(), {"--stage", std::to_string(*req.stage)});
  }
  if (req.snaplen != 0) {
    if (req.snaplen < 24 || req.snaplen > 65535) {
      return arg_error("-s", "snaplen " + std::to_string(req.snaplen) +
                                 " is out of range: use 0 (whole frame) or 24..65535");
    }
    a.insert(a.end(), {"-s", std::to_string(req.snaplen)});
  }
  if (req.count) {
    if (*req.count == 0) return arg_error("-c", "a packet count of 0 would capture nothing");
    a.insert(a.end(), {"-c", std::to_string(*req.count)});
  }

  const model::Filter& f = req.filter;
  struct MacOpt {
    const char* opt;
    const std::optional<std::string>& v;
  };
  for (const MacOpt& m : {MacOpt{"--mac", f.mac}, MacOpt{"--srcmac", f.srcmac}, MacOpt{"--dstmac", f.dstmac}}) {
    if (!m.v) continue;
    auto mac = model::Mac::parse(*m.v);
    if (!mac) return arg_error(m.opt, excerpt(*m.v) + " is not a MAC address");
    a.insert(a.end(), {m.opt, mac->str()});
  }
  struct IpOpt {
    const char* opt;
    const std::optional<std::string>& v;
  };
  for (const IpOpt& m : {IpOpt{"--ip", f.ip}, IpOpt{"--srcip", f.srcip}, IpOpt{"--dstip", f.dstip}}) {
    if (!m.v) continue;
    if (!is_ip(*m.v)) return arg_error(m.opt, excerpt(*m.v) + " is not an IP address");
    a.insert(a.end(), {m.opt, *m.v});
  }
  if (f.vlan) {
    if (*f.vlan < 0 || *f.vlan > 4095) return arg_error("--vlan", std::to_string(*f.vlan) + " is not 0..4095");
    a.insert(a.end(), {"--vlan", std::to_string(*f.vlan)});
  }
  if (f.ethtype) {
    if (*f.ethtype < 0 || *f.ethtype > 0xffff) {
      return arg_error("--ethtype", std::to_string(*f.ethtype) + " is not 0..0xffff");
    }
    a.insert(a.end(), {"--ethtype", hex(*f.ethtype, 4)});
  }
  if (f.proto) {
    if (*f.proto < 0 || *f.proto > 255) return arg_error("--proto", std::to_string(*f.proto) + " is not 0..255");
    a.insert(a.end(), {"--proto", hex(*f.proto, 2)});
  }
  struct PortOpt {
    const char* opt;
    const std::optional<int>& v;
  };
  for (const PortOpt& p : {PortOpt{"--srcport", f.srcport}, PortOpt{"--dstport", f.dstport},
                           PortOpt{"--tcpport", f.tcpport}}) {
    if (!p.v) continue;
    if (*p.v < 0 || *p.v > 65535) return arg_error(p.opt, std::to_string(*p.v) + " is not a port 0..65535");
    a.insert(a.end(), {p.opt, std::to_string(*p.v)});
  }
  if (f.rcf) {
    if (f.rcf->empty() || f.rcf->find('\0') != std::string::npos || f.rcf->find('\n') != std::string::npos) {
      return arg_error("--rcf", "the filter expression must be one non-empty line");
    }
    a.insert(a.end(), {"--rcf", *f.rcf});
  }

  if (req.output == "-") {
    if (req.pcapng) return arg_error("--ng", "pcapng output needs a file (-o FILE), not stdout");
    a.insert(a.end(), {"-o", "-"});
  } else {
    if (!safe_path(req.output)) {
      return arg_error("-o", excerpt(req.output) + " is not an absolute path on the host (or \"-\")");
    }
    a.insert(a.end(), {"-o", req.output});
    if (req.pcapng) a.push_back("--ng");
  }
  return a;
}

namespace {
std::string with_suffix(const std::string& path, const std::string& suffix) {
  size_t slash = path.rfind('/');
  size_t dot = path.rfind('.');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash) || dot == slash + 1) {
    return path + suffix;
  }
  return path.substr(0, dot) + suffix + path.substr(dot);
}
}  // namespace

Result<std::vector<PlannedProcess>> plan_pktcap(const PktcapRequest& req,
                                                const std::string& host_version) {
  std::vector<PlannedProcess> out;
  auto add = [&](std::optional<int> dir, const PktcapRequest& r) -> Status {
    auto argv = build_pktcap_argv(r, dir);
    if (!argv) return argv.error();
    out.push_back({dir, std::move(*argv)});
    return {};
  };
  Status st;
  if (!req.capture_point.empty()) {
    st = add(std::nullopt, req);
  } else if (req.direction == model::Direction::In) {
    st = add(0, req);
  } else if (req.direction == model::Direction::Out) {
    st = add(1, req);
  } else if (model::supports_dir_both(host_version)) {
    st = add(2, req);
  } else {
    PktcapRequest in = req, outr = req;
    if (req.output != "-") {
      in.output = with_suffix(req.output, "-in");
      outr.output = with_suffix(req.output, "-out");
    }
    st = add(0, in);
    if (st) st = add(1, outr);
  }
  if (!st) return st.error();
  return out;
}

}  // namespace vmc::host
