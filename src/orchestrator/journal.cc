#include "orchestrator/journal.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <nlohmann/json.hpp>

namespace vmc::orchestrator {

using nlohmann::json;
using Kind = JournalRecord::Kind;

namespace {

constexpr std::pair<Kind, const char*> kKinds[] = {
    {Kind::SessionStart, "session.start"},
    {Kind::ProcessStarted, "process.started"},
    {Kind::ProcessStopped, "process.stopped"},
    {Kind::OverrideSet, "override.set"},
    {Kind::OverrideFailed, "override.failed"},
    {Kind::OverrideRestored, "override.restored"},
    {Kind::SessionEnd, "session.end"},
    {Kind::CleanupDone, "cleanup.done"},
};

json moref_json(const model::MoRef& r) { return r.empty() ? json() : json(r.str()); }

model::MoRef moref_from(const json& j) {
  if (!j.is_string()) return {};
  std::string s = j.get<std::string>();
  auto colon = s.find(':');
  if (colon == std::string::npos) return {"", s};
  return {s.substr(0, colon), s.substr(colon + 1)};
}

json override_json(const std::optional<model::DrsVmOverride>& o) {
  if (!o) return json();
  json j = {{"behavior", o->behavior}};
  if (o->enabled) j["enabled"] = *o->enabled;
  return j;
}

std::optional<model::DrsVmOverride> override_from(const json& j, const model::MoRef& vm) {
  if (!j.is_object()) return std::nullopt;
  model::DrsVmOverride o;
  o.vm = vm;
  o.behavior = j.value("behavior", "");
  if (j.contains("enabled") && j["enabled"].is_boolean()) o.enabled = j["enabled"].get<bool>();
  return o;
}

std::string errno_text() { return std::strerror(errno); }

}  // namespace

const char* to_string(Kind k) {
  for (const auto& [kind, name] : kKinds)
    if (kind == k) return name;
  return "unknown";
}

std::string format_time(model::TimePoint t) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  long frac = static_cast<long>(ms % 1000);
  if (frac < 0) {
    frac += 1000;
    --secs;
  }
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
  return buf;
}

std::optional<model::TimePoint> parse_time(const std::string& s) {
  std::tm tm{};
  int ms = 0;
  char z = 0;
  if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d.%3d%c", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms, &z) != 8 ||
      z != 'Z')
    return std::nullopt;
  // Field ranges, and years the clock's nanoseconds can hold (1970..2261).
  if (tm.tm_year < 1970 || tm.tm_year > 2261 || tm.tm_mon < 1 || tm.tm_mon > 12 ||
      tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour < 0 || tm.tm_hour > 23 || tm.tm_min < 0 ||
      tm.tm_min > 59 || tm.tm_sec < 0 || tm.tm_sec > 60 || ms < 0 || ms > 999)
    return std::nullopt;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  std::time_t secs = timegm(&tm);
  return model::TimePoint{} + std::chrono::seconds(secs) + std::chrono::milliseconds(ms);
}

std::string to_json_line(const JournalRecord& r) {
  json j;
  j["type"] = to_string(r.kind);
  j["at"] = format_time(r.at);
  switch (r.kind) {
    case Kind::SessionStart:
      j["session"] = r.session_id;
      j["pid"] = r.pid;
      j["name"] = r.name;
      break;
    case Kind::ProcessStarted:
    case Kind::ProcessStopped:
      j["host"] = moref_json(r.host);
      j["host_name"] = r.host_name;
      j["address"] = r.host_address;
      j["remote_pid"] = r.remote_pid;
      j["pin"] = r.pin_key;
      j["pin_name"] = r.pin_name;
      if (!r.remote_file.empty()) j["file"] = r.remote_file;
      break;
    case Kind::OverrideSet:
    case Kind::OverrideFailed:
    case Kind::OverrideRestored:
      j["cluster"] = moref_json(r.cluster);
      j["vm"] = moref_json(r.vm);
      j["previous"] = override_json(r.previous);
      j["applied"] = override_json(r.applied);
      break;
    case Kind::SessionEnd:
    case Kind::CleanupDone:
      break;
  }
  if (!r.detail.empty()) j["detail"] = r.detail;
  // Names, host output and error text come from outside and may hold any bytes: bytes
  // that are not UTF-8 become U+FFFD rather than an exception that loses the record.
  return j.dump(-1, ' ', /*ensure_ascii=*/false, json::error_handler_t::replace);
}

namespace {

// A whole number field (a PID): absent is 0; a fraction, a string or a number beyond
// int64 is an error (json's own conversion of such a double is undefined behaviour).
std::optional<int64_t> int_field(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end()) return 0;
  if (it->is_number_integer() && !it->is_number_unsigned()) return it->get<int64_t>();
  if (it->is_number_unsigned() && it->get<uint64_t>() <= uint64_t{INT64_MAX})
    return static_cast<int64_t>(it->get<uint64_t>());
  return std::nullopt;
}

}  // namespace

Result<JournalRecord> parse_journal_line(const std::string& line) {
  json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object())
    return Error("journal.syntax", "not a JSON object");
  JournalRecord r;
  // Every field may have the wrong type in a damaged file: value() then throws.
  try {
    std::string type = j.value("type", "");
    bool known = false;
    for (const auto& [kind, name] : kKinds)
      if (type == name) {
        r.kind = kind;
        known = true;
      }
    if (!known) return Error("journal.type", "unknown record type '" + type + "'");
    auto at = parse_time(j.value("at", ""));
    if (!at) return Error("journal.time", "missing or malformed \"at\" time");
    r.at = *at;
    r.session_id = j.value("session", "");
    auto pid = int_field(j, "pid");
    auto remote_pid = int_field(j, "remote_pid");
    if (!pid || !remote_pid) return Error("journal.field", "a PID is not a whole number");
    r.pid = *pid;
    r.remote_pid = *remote_pid;
    r.name = j.value("name", "");
    if (j.contains("host")) r.host = moref_from(j["host"]);
    r.host_name = j.value("host_name", "");
    r.host_address = j.value("address", "");
    r.pin_key = j.value("pin", "");
    r.pin_name = j.value("pin_name", "");
    r.remote_file = j.value("file", "");
    if (j.contains("cluster")) r.cluster = moref_from(j["cluster"]);
    if (j.contains("vm")) r.vm = moref_from(j["vm"]);
    if (j.contains("previous")) r.previous = override_from(j["previous"], r.vm);
    if (j.contains("applied")) r.applied = override_from(j["applied"], r.vm);
    r.detail = j.value("detail", "");
  } catch (const json::exception& e) {
    return Error("journal.field", std::string("a field has the wrong type: ") + e.what());
  }
  if ((r.kind == Kind::ProcessStarted || r.kind == Kind::ProcessStopped) &&
      (r.remote_pid <= 0 || r.host.empty()))
    return Error("journal.field", "process record without host or remote_pid");
  if ((r.kind == Kind::OverrideSet || r.kind == Kind::OverrideRestored ||
       r.kind == Kind::OverrideFailed) &&
      (r.cluster.empty() || r.vm.empty()))
    return Error("journal.field", "override record without cluster or vm");
  return r;
}

Status ensure_state_dir(const std::string& dir) {
  if (dir.empty()) return Error("journal.dir", "empty state directory");
  std::string partial;
  size_t pos = 0;
  while (pos != std::string::npos) {
    pos = dir.find('/', pos + 1);
    partial = dir.substr(0, pos);
    if (partial.empty()) continue;
    if (::mkdir(partial.c_str(), 0700) != 0 && errno != EEXIST)
      return Error("journal.dir", "cannot create state directory " + partial + ": " +
                                      errno_text() + "; set XDG_STATE_HOME to a writable place");
  }
  struct stat st{};
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    return Error("journal.dir", dir + " is not a directory; set XDG_STATE_HOME elsewhere");
  if ((st.st_mode & 077) != 0 && st.st_uid == ::geteuid()) ::chmod(dir.c_str(), 0700);
  return {};
}

std::string default_state_dir() {
  const char* xdg = std::getenv("XDG_STATE_HOME");
  if (xdg != nullptr && xdg[0] == '/') return std::string(xdg) + "/vm-capture";
  const char* home = std::getenv("HOME");
  return std::string(home != nullptr && home[0] != 0 ? home : ".") + "/.local/state/vm-capture";
}

JournalRecord process_record(JournalRecord::Kind kind, model::TimePoint at,
                             const model::HostInfo& host, int64_t remote_pid,
                             std::string pin_key, std::string pin_name, std::string detail) {
  JournalRecord r;
  r.kind = kind;
  r.at = at;
  r.host = host.ref;
  r.host_name = host.name;
  r.host_address = host.mgmt_address;
  r.remote_pid = remote_pid;
  r.pin_key = std::move(pin_key);
  r.pin_name = std::move(pin_name);
  r.detail = std::move(detail);
  return r;
}

JournalRecord override_record(JournalRecord::Kind kind, model::TimePoint at,
                              const model::MoRef& cluster, const model::MoRef& vm,
                              std::optional<model::DrsVmOverride> previous,
                              std::optional<model::DrsVmOverride> applied, std::string detail) {
  JournalRecord r;
  r.kind = kind;
  r.at = at;
  r.cluster = cluster;
  r.vm = vm;
  r.previous = std::move(previous);
  r.applied = std::move(applied);
  r.detail = std::move(detail);
  return r;
}

std::string make_session_id(model::TimePoint start, int64_t pid) {
  std::string t = format_time(start);  // 2026-11-26T07:25:00.123Z
  std::string compact;
  for (size_t i = 0; i < 19; ++i)
    if (t[i] != '-' && t[i] != ':') compact += t[i];
  return compact + "Z-" + std::to_string(pid);
}

Result<std::unique_ptr<FileJournal>> FileJournal::create(const std::string& state_dir,
                                                         const std::string& session_id) {
  if (auto s = ensure_state_dir(state_dir); !s) return s.error();
  std::string path = state_dir + "/" + session_id + ".jsonl";
  struct stat st{};
  if (::lstat(path.c_str(), &st) == 0)
    return Error("journal.create", "cannot create journal " + path +
                                       ": it exists already (one file per session)");
  return std::unique_ptr<FileJournal>(new FileJournal(-1, path));
}

Result<std::unique_ptr<FileJournal>> FileJournal::open(const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (fd < 0) return Error("journal.open", "cannot open journal " + path + ": " + errno_text());
  return std::unique_ptr<FileJournal>(new FileJournal(fd, path));
}

FileJournal::~FileJournal() {
  if (fd_ >= 0) ::close(fd_);
}

Status FileJournal::create_file(const JournalRecord& first) {
  if (first.kind != Kind::SessionStart)
    return Error("journal.order", "journal " + path_ + ": the first record must be " +
                                      to_string(Kind::SessionStart) + ", not " +
                                      to_string(first.kind) + " (a bug in vm-capture)");
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0600);
  if (fd_ < 0)
    return Error("journal.create", "cannot create journal " + path_ + ": " + errno_text());
  if (auto s = write_line(first); !s) {
    // A file without its start would be listed as a session that never was.
    ::close(fd_);
    fd_ = -1;
    ::unlink(path_.c_str());
    return s;
  }
  return {};
}

Status FileJournal::append(const JournalRecord& r) {
  if (fd_ < 0) return create_file(r);
  return write_line(r);
}

Status FileJournal::write_line(const JournalRecord& r) {
  std::string line = to_json_line(r) + "\n";
  const char* p = line.data();
  size_t left = line.size();
  while (left > 0) {
    ssize_t n = ::write(fd_, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0)
      return Error("journal.write", "cannot write journal " + path_ + ": " + errno_text());
    p += n;
    left -= static_cast<size_t>(n);
  }
  if (::fdatasync(fd_) != 0)
    return Error("journal.write", "cannot sync journal " + path_ + ": " + errno_text());
  return {};
}

Result<std::vector<JournalRecord>> read_journal(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error("journal.open", "cannot read journal " + path + ": " + errno_text());
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<JournalRecord> out;
  size_t start = 0;
  int line_no = 0;
  while (start < content.size()) {
    size_t nl = content.find('\n', start);
    bool last_unterminated = nl == std::string::npos;
    std::string line = content.substr(start, last_unterminated ? std::string::npos : nl - start);
    start = last_unterminated ? content.size() : nl + 1;
    ++line_no;
    if (line.empty()) continue;
    auto r = parse_journal_line(line);
    if (!r) {
      if (last_unterminated) break;  // torn write at a crash: everything before it stands
      return r.error().context(path + ":" + std::to_string(line_no));
    }
    out.push_back(std::move(r.value()));
  }
  return out;
}

}  // namespace vmc::orchestrator
