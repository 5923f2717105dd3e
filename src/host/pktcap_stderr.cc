#include "host/pktcap_stderr.h"

#include "host/text.h"

namespace vmc::host {
namespace {

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

std::string_view strip_dot(std::string_view s) {
  s = trim(s);
  if (!s.empty() && s.back() == '.') s.remove_suffix(1);
  return s;
}

// "... <number>" at the start of `s`; returns the number and advances `s`.
std::optional<int64_t> take_int(std::string_view& s) {
  s = trim(s);
  size_t e = 0;
  while (e < s.size() && s[e] >= '0' && s[e] <= '9') ++e;
  auto v = parse_int(s.substr(0, e));
  s.remove_prefix(e);
  return v;
}

// Parses "Dump: 9344, broken : 0, drop: 0, file err: 0" (spacing varies).
bool parse_dump_stats(std::string_view s, PktcapLine& out) {
  int64_t* slots[] = {&out.dump, &out.broken, &out.drop, &out.file_err};
  std::string_view names[] = {"dump", "broken", "drop", "fileerr"};
  size_t field = 0;
  size_t pos = 0;
  while (field < 4) {
    size_t colon = s.find(':', pos);
    if (colon == std::string_view::npos) return false;
    std::string name = field_key(s.substr(pos, colon - pos));
    if (name != names[field]) return false;
    std::string_view rest = s.substr(colon + 1);
    auto v = take_int(rest);
    if (!v) return false;
    *slots[field] = *v;
    ++field;
    rest = trim(rest);
    if (field < 4) {
      if (rest.empty() || rest.front() != ',') return false;
      rest.remove_prefix(1);
    }
    pos = static_cast<size_t>(rest.data() - s.data());
  }
  return true;
}

}  // namespace

const char* to_string(PktcapLineKind k) {
  switch (k) {
    case PktcapLineKind::SwitchPortId: return "switch-port-id";
    case PktcapLineKind::OutputFile: return "output-file";
    case PktcapLineKind::ServerPort: return "server-port";
    case PktcapLineKind::LocalCid: return "local-cid";
    case PktcapLineKind::Listening: return "listening";
    case PktcapLineKind::Accepting: return "accepting";
    case PktcapLineKind::Connected: return "connected";
    case PktcapLineKind::DumpStats: return "dump-stats";
    case PktcapLineKind::WriteError: return "write-error";
    case PktcapLineKind::JoinFailed: return "join-failed";
    case PktcapLineKind::DestroyingSession: return "destroying-session";
    case PktcapLineKind::Dumped: return "dumped";
    case PktcapLineKind::Done: return "done";
    case PktcapLineKind::NoSuchCapturePoint: return "no-such-capture-point";
    case PktcapLineKind::UsageError: return "usage-error";
    case PktcapLineKind::OtherError: return "error";
    case PktcapLineKind::Info: return "info";
  }
  return "?";
}

const char* to_string(PktcapState s) {
  switch (s) {
    case PktcapState::Starting: return "starting";
    case PktcapState::Capturing: return "capturing";
    case PktcapState::Stopping: return "stopping";
    case PktcapState::Done: return "done";
    case PktcapState::Failed: return "failed";
  }
  return "?";
}

PktcapLine parse_pktcap_line(std::string_view raw) {
  std::string_view line = trim(raw);
  PktcapLine out;
  out.text = std::string(line);
  std::string_view s = line;
  if (starts_with(s, "pktcap: ")) s.remove_prefix(8);

  if (starts_with(s, "The switch port id is ")) {
    std::string_view v = strip_dot(s.substr(22));
    auto n = parse_hex(v);
    if (!n) n = parse_int(v);
    if (n) {
      out.kind = PktcapLineKind::SwitchPortId;
      out.number = *n;
      return out;
    }
  } else if (starts_with(s, "The output file is ")) {
    out.kind = PktcapLineKind::OutputFile;
    out.text = std::string(strip_dot(s.substr(19)));
    return out;
  } else if (starts_with(s, "No server port specifed") || starts_with(s, "No server port specified")) {
    size_t p = s.find("select ");
    if (p != std::string_view::npos) {
      std::string_view r = s.substr(p + 7);
      if (auto n = take_int(r)) out.number = *n;
    }
    out.kind = PktcapLineKind::ServerPort;
    return out;
  } else if (starts_with(s, "Local CID ")) {
    std::string_view r = s.substr(10);
    if (auto n = take_int(r)) {
      out.kind = PktcapLineKind::LocalCid;
      out.number = *n;
      return out;
    }
  } else if (starts_with(s, "Listen on port ")) {
    std::string_view r = s.substr(15);
    if (auto n = take_int(r)) {
      out.kind = PktcapLineKind::Listening;
      out.number = *n;
      return out;
    }
  } else if (starts_with(s, "Accept")) {
    out.kind = PktcapLineKind::Accepting;
    return out;
  } else if (starts_with(s, "Vsock connection from port ")) {
    std::string_view r = s.substr(27);
    auto port = take_int(r);
    r = trim(r);
    if (port && starts_with(r, "cid ")) {
      r.remove_prefix(4);
      if (auto cid = take_int(r)) {
        out.kind = PktcapLineKind::Connected;
        out.number = *port;
        out.number2 = *cid;
        return out;
      }
    }
  } else if (starts_with(s, "Dump:")) {
    if (parse_dump_stats(s, out)) {
      out.kind = PktcapLineKind::DumpStats;
      return out;
    }
  } else if (s.find("Join with dump thread failed") != std::string_view::npos) {
    out.kind = PktcapLineKind::JoinFailed;
    return out;
  } else if (starts_with(s, "Destroying session")) {
    std::string_view r = s.substr(18);
    if (auto n = take_int(r)) out.number = *n;
    out.kind = PktcapLineKind::DestroyingSession;
    return out;
  } else if (starts_with(s, "Dumped ")) {
    // "Dumped 10241 packet to file /tmp/vmnic0.pcap, dropped 0 packets."
    std::string_view r = s.substr(7);
    auto n = take_int(r);
    r = trim(r);
    size_t to = r.find("to file ");
    size_t dropped = r.rfind(", dropped ");
    if (n && to != std::string_view::npos && dropped != std::string_view::npos && dropped > to) {
      out.kind = PktcapLineKind::Dumped;
      out.dump = *n;
      out.number = *n;
      out.text = std::string(r.substr(to + 8, dropped - to - 8));
      std::string_view d = r.substr(dropped + 10);
      if (auto dn = take_int(d)) out.drop = *dn;
      return out;
    }
  } else if (s == "Done." || s == "Done") {
    out.kind = PktcapLineKind::Done;
    return out;
  }

  // Errors.
  std::string_view e = s;
  bool is_error = false;
  if (starts_with(e, "error: ") || starts_with(e, "Error: ") || starts_with(e, "ERROR: ")) {
    e.remove_prefix(7);
    is_error = true;
  }
  if (starts_with(e, "No such capture point: ") || starts_with(e, "No such capture point ")) {
    out.kind = PktcapLineKind::NoSuchCapturePoint;
    out.text = std::string(strip_dot(e.substr(22)));
    if (!out.text.empty() && out.text.front() == ':') out.text = std::string(trim(out.text.substr(1)));
    return out;
  }
  if (starts_with(e, "Error writing") || e.find("file err") != std::string_view::npos) {
    out.kind = PktcapLineKind::WriteError;
    return out;
  }
  if (e.find("unrecognized option") != std::string_view::npos ||
      e.find("invalid option") != std::string_view::npos ||
      e.find("Unknown option") != std::string_view::npos ||
      e.find("unknown option") != std::string_view::npos ||
      starts_with(e, "Usage:") || starts_with(e, "usage:") ||
      e.find("Invalid argument") != std::string_view::npos ||
      e.find("requires an argument") != std::string_view::npos) {
    out.kind = PktcapLineKind::UsageError;
    return out;
  }
  if (is_error || starts_with(s, "Error") || starts_with(s, "Failed") || starts_with(s, "failed")) {
    out.kind = PktcapLineKind::OtherError;
    return out;
  }
  out.kind = PktcapLineKind::Info;
  return out;
}

PktcapLine PktcapStatus::feed(std::string_view line) {
  PktcapLine l = parse_pktcap_line(line);
  auto fail = [&] {
    if (!error_kind_) {
      error_kind_ = l.kind;
      error_ = l.text;
    }
    state_ = PktcapState::Failed;
  };
  switch (l.kind) {
    case PktcapLineKind::SwitchPortId:
      switch_port_ = l.number;
      [[fallthrough]];
    case PktcapLineKind::OutputFile:
    case PktcapLineKind::ServerPort:
    case PktcapLineKind::LocalCid:
    case PktcapLineKind::Listening:
    case PktcapLineKind::Accepting:
    case PktcapLineKind::Connected:
      if (state_ == PktcapState::Starting) state_ = PktcapState::Capturing;
      break;
    case PktcapLineKind::DumpStats:
      stats_ = l;
      if (l.file_err > 0) write_failed_ = true;
      if (state_ == PktcapState::Starting || state_ == PktcapState::Capturing) {
        state_ = PktcapState::Stopping;
      }
      break;
    case PktcapLineKind::DestroyingSession:
      if (state_ == PktcapState::Starting || state_ == PktcapState::Capturing) {
        state_ = PktcapState::Stopping;
      }
      break;
    case PktcapLineKind::Dumped:
      dumped_ = l;
      if (state_ == PktcapState::Starting || state_ == PktcapState::Capturing) {
        state_ = PktcapState::Stopping;
      }
      break;
    case PktcapLineKind::Done:
      if (state_ != PktcapState::Failed) state_ = PktcapState::Done;
      break;
    case PktcapLineKind::WriteError:
      write_failed_ = true;
      fail();
      break;
    case PktcapLineKind::JoinFailed:
    case PktcapLineKind::NoSuchCapturePoint:
    case PktcapLineKind::UsageError:
    case PktcapLineKind::OtherError:
      fail();
      break;
    case PktcapLineKind::Info:
      break;
  }
  return l;
}

}  // namespace vmc::host
