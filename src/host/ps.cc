#include "host/ps.h"

#include <cctype>

#include "host/text.h"

namespace vmc::host {
namespace {

std::string upper(std::string_view s) {
  std::string o;
  for (char c : s) o += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return o;
}

}  // namespace

Result<std::vector<ProcessRow>> parse_ps(std::string_view text) {
  std::vector<ProcessRow> out;
  auto lines = split_lines(text);
  size_t i = 0;
  while (i < lines.size() && trim(lines[i]).empty()) ++i;
  int pid_col = 0, cid_col = -1, cmd_col = 1;
  size_t cmd_offset = std::string_view::npos;  // where the header's COMMAND column starts
  if (i < lines.size()) {
    auto tok = split_ws(lines[i]);
    if (!parse_int(tok[0])) {
      std::vector<std::string> cols;
      for (size_t k = 0; k < tok.size(); ++k) {
        std::string u = upper(tok[k]);
        if (u == "WORLD" && k + 1 < tok.size() && upper(tok[k + 1]) == "NAME") {
          cols.push_back("WORLD NAME");
          ++k;
        } else {
          cols.push_back(u);
        }
      }
      pid_col = -1;
      cmd_col = static_cast<int>(cols.size()) - 1;
      for (size_t k = 0; k < cols.size(); ++k) {
        const std::string& c = cols[k];
        if ((c == "PID" || c == "WID") && pid_col < 0) pid_col = static_cast<int>(k);
        if (c == "CID") cid_col = static_cast<int>(k);
        if (c == "COMMAND" || c == "CMD" || c == "ARGS") cmd_col = static_cast<int>(k);
      }
      if (cmd_col == static_cast<int>(cols.size()) - 1 &&
          (cols.back() == "COMMAND" || cols.back() == "CMD" || cols.back() == "ARGS")) {
        std::string_view hdr = lines[i];
        std::string_view last = tok.back();
        cmd_offset = static_cast<size_t>(last.data() - hdr.data());
      }
      if (pid_col < 0) {
        return Error("ps.parse", "ps output: header " + excerpt(lines[i]) +
                                     " has no PID or WID column");
      }
      ++i;
    }
  }
  for (; i < lines.size(); ++i) {
    std::string_view line = lines[i];
    if (trim(line).empty()) continue;
    auto tok = split_ws(line);
    auto bad = [&](const std::string& what) {
      return Error("ps.parse", "ps output, line " + std::to_string(i + 1) + " " + excerpt(line) +
                                   ": " + what);
    };
    if (static_cast<int>(tok.size()) <= pid_col) return bad("too few columns");
    auto pid = parse_int(tok[pid_col]);
    if (!pid || *pid < 0) return bad("process id " + excerpt(tok[pid_col]) + " is not a number");
    ProcessRow row;
    row.pid = *pid;
    if (cid_col >= 0 && static_cast<int>(tok.size()) > cid_col) {
      auto cid = parse_int(tok[cid_col]);
      if (!cid) return bad("cartel id " + excerpt(tok[cid_col]) + " is not a number");
      row.cid = *cid;
    }
    if (cmd_offset != std::string_view::npos && cmd_offset < line.size() && cmd_offset > 0 &&
        line[cmd_offset - 1] == ' ' && line[cmd_offset] != ' ' &&
        static_cast<int>(tok.size()) > cmd_col) {
      // Aligned under the header: names with spaces before it do not shift the command.
      row.command = std::string(trim(line.substr(cmd_offset)));
    } else if (static_cast<int>(tok.size()) > cmd_col) {
      size_t off = static_cast<size_t>(tok[cmd_col].data() - line.data());
      row.command = std::string(trim(line.substr(off)));
    }
    out.push_back(std::move(row));
  }
  return out;
}

std::optional<ProcessRow> find_process(const std::vector<ProcessRow>& rows, int64_t pid) {
  for (const auto& r : rows) {
    if (r.pid == pid || (r.cid && *r.cid == pid)) return r;
  }
  return std::nullopt;
}

bool is_pktcap(const ProcessRow& row) {
  for (std::string_view w : split_ws(row.command)) {
    size_t slash = w.rfind('/');
    if (slash != std::string_view::npos) w = w.substr(slash + 1);
    if (w == "pktcap-uw") return true;
  }
  return false;
}

}  // namespace vmc::host
