#include "host/netstats.h"

#include "host/text.h"
#include "model/mac.h"

namespace vmc::host {

Result<std::vector<NetStatsPort>> parse_net_stats_list(std::string_view text) {
  std::vector<NetStatsPort> out;
  auto lines = split_lines(text);
  for (size_t i = 0; i < lines.size(); ++i) {
    std::string_view line = trim(lines[i]);
    if (line.empty()) continue;
    if (line.substr(0, 7) == "PortNum") continue;  // header
    auto bad = [&](const std::string& what) {
      return Error("netstats.parse", "net-stats -l output, line " + std::to_string(i + 1) + " " +
                                         excerpt(line) + ": " + what);
    };
    // Tokenise the first five fields by hand so the rest keeps its inner spaces.
    std::string_view rest = line;
    std::vector<std::string_view> f;
    while (f.size() < 5 && !rest.empty()) {
      size_t e = rest.find_first_of(" \t");
      f.push_back(rest.substr(0, e));
      rest = e == std::string_view::npos ? std::string_view() : trim(rest.substr(e));
    }
    if (f.size() < 4) return bad("expected PortNum Type SubType SwitchName MACAddress ClientName");
    NetStatsPort p;
    auto id = parse_int(f[0]);
    auto type = parse_int(f[1]);
    auto sub = parse_int(f[2]);
    if (!id || *id <= 0) return bad("PortNum " + excerpt(f[0]) + " is not a port number");
    if (!type || *type < 0 || *type > 1000 || !sub || *sub < 0 || *sub > 1000) {
      return bad("Type and SubType must be small numbers");
    }
    p.port_id = *id;
    p.type = static_cast<int>(*type);
    p.subtype = static_cast<int>(*sub);
    p.switch_name = std::string(f[3]);
    std::string_view client = rest;
    if (f.size() == 5) {
      if (auto mac = model::Mac::parse(f[4])) {
        p.mac = mac->str();
      } else {
        // No MAC column on this row: the fifth token starts the client name.
        size_t off = static_cast<size_t>(f[4].data() - line.data());
        client = trim(line.substr(off));
      }
    }
    p.client_name = std::string(client);
    out.push_back(std::move(p));
  }
  return out;
}

}  // namespace vmc::host
