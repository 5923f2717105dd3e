#include "session/on_host_port.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <unordered_set>

#include "capture/dedup.h"
#include "capture/pcap_stream_reader.h"
#include "host/on_host_output.h"
#include "host/pktcap_args.h"
#include "host/text.h"
#include "session/fetch_home.h"
#include "session/ssh_host_port.h"

namespace vmc::session {

using orchestrator::CaptureHandle;
using orchestrator::CaptureStatus;
using orchestrator::Pin;
using orchestrator::PinKind;

namespace {

constexpr auto kPortCheckInterval = std::chrono::seconds(5);
// How far a host's frame times may be from this machine's and still be matched as the
// same frame seen by two overlapping captures of a pin.
constexpr int64_t kOverlapMarginNs = 2'000'000'000;

int64_t wall_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

uint64_t frame_key(int64_t ts_ns, const capture::FrameView& v) {
  return capture::Deduplicator::hash(v) ^ (static_cast<uint64_t>(ts_ns) * 0x9e3779b97f4a7c15ULL);
}

std::string mib(int64_t b) { return std::to_string(b / (1024 * 1024)) + " MiB"; }

std::string safe(const std::string& s) {
  std::string out = s.empty() ? std::string("_") : s;
  for (char& c : out) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) c = '_';
  }
  return out;
}

const char* dir_word(model::Direction d) {
  switch (d) {
    case model::Direction::In: return "in";
    case model::Direction::Out: return "out";
    case model::Direction::Both: return "both";
  }
  return "both";
}

/// "datastore /vmfs/volumes/datastore1 on esx01 has 3 MiB free of 100 MiB, below the 16
/// MiB kept free".
std::string space_text(const std::string& host, const host::FsUsage& u, int64_t reserve) {
  const std::string what = u.ramdisk ? "ramdisk " + u.name : "datastore " + u.mount;
  return what + " on " + host + " has " + mib(u.avail) + " free of " + mib(u.size) +
         ", below the " + mib(reserve) + " kept free";
}

CaptureStatus make_status(CaptureStatus::Health h, std::string detail) {
  CaptureStatus s;
  s.health = h;
  s.detail = std::move(detail);
  return s;
}

std::string errno_text(const std::string& path) { return path + ": " + std::strerror(errno); }

}  // namespace

std::string on_host_file_name(const std::string& session_id, const Pin& pin, uint64_t n) {
  std::string port = pin.kind == PinKind::VmPort ? std::to_string(pin.port_id) : pin.uplink;
  if (pin.kind == PinKind::Bridge) port += "-bridge";
  const std::string host = pin.host_name.empty() ? pin.host.value : pin.host_name;
  return "vmc-" + safe(session_id) + "-" + safe(host) + "-" + safe(port) + "-" + dir_word(pin.dir) +
         "-" + std::to_string(n) + ".pcap";
}

struct OnHostPort::Capture {
  Pin pin;
  orchestrator::FrameSink* sink = nullptr;
  std::unique_ptr<host::PktcapProcess> proc;
  std::string file_name;    // vmc-....pcap
  std::string remote_path;  // <dir>/<file_name>
  bool collected = false;
  std::chrono::steady_clock::time_point last_port_check = std::chrono::steady_clock::now();
  int64_t started_ns = 0;  // this machine's clock when pktcap-uw was started
  /// Frames an overlapping earlier capture of the same pin already delivered (a capture
  /// cut off with its connection runs on until this one runs): (time, bytes) keys.
  std::unordered_multiset<uint64_t> delivered;
  uint64_t copies_dropped = 0;
};

OnHostPort::OnHostPort(model::HostInfo info, orchestrator::HostPort& streaming,
                       host::HostConnection& conn, OnHostSettings settings, OnHostEvents events)
    : info_(std::move(info)),
      streaming_(streaming),
      conn_(conn),
      resolver_(conn),
      settings_(std::move(settings)),
      events_(std::move(events)) {}

OnHostPort::~OnHostPort() = default;

void OnHostPort::note(const std::string& text) {
  spdlog::warn("{}", text);
  if (events_.note) events_.note(text);
}

Result<std::optional<int64_t>> OnHostPort::resolve_port(const std::string& mac) {
  return streaming_.resolve_port(mac);
}

Status OnHostPort::kill_leftover(int64_t pid) {
  auto st = streaming_.kill_leftover(pid);
  if (!st.ok()) return st;
  // One of ours cut off with its connection: now stopped, its file comes home.
  std::shared_ptr<Capture> cap;
  {
    std::lock_guard lk(mu_);
    for (auto it = pending_.begin(); it != pending_.end(); ++it) {
      if ((*it)->proc->pid() == std::optional<int64_t>(pid)) {
        cap = *it;
        pending_.erase(it);
        break;
      }
    }
  }
  if (cap) collect(*cap);
  return st;
}

Result<orchestrator::FetchedFile> OnHostPort::fetch_leftover_file(const std::string& remote_path,
                                                                 const std::string& local_path) {
  return streaming_.fetch_leftover_file(remote_path, local_path);
}

Result<CaptureHandle> OnHostPort::start_capture(const orchestrator::CaptureRequest& request,
                                                orchestrator::FrameSink& sink) {
  const Pin& pin = request.pin;
  if (auto full = full_text()) return Error("onhost.space", *full);
  auto dir = host::on_host_directory(settings_.output);
  if (!dir.ok()) return dir.error().context(info_.name);
  // Room first: a capture started on a full datastore would end at its first frame.
  auto usage = host::remote_space(conn_, *dir);
  if (!usage.ok()) {
    return usage.error().context(info_.name + ": cannot tell the free space for " + *dir +
                                 ", so the on-host capture of " + pin.name() + " is not started");
  }
  auto room = host::check_space(*usage);
  if (!room.ok) {
    return Error("onhost.space", "on-host capture of " + pin.name() + " not started: " +
                                     space_text(info_.name, *usage, room.reserve) +
                                     "; free space there or choose another datastore "
                                     "(output.on_host.datastore)");
  }
  auto mk = conn_.run({"mkdir", "-p", *dir});
  if (!mk.ok()) return mk.error().context(info_.name);
  if (mk->exit_status != 0) {
    return Error("onhost.mkdir", info_.name + ": `mkdir -p " + *dir +
                                     "` failed: " + host::excerpt(host::trim(mk->err)) +
                                     "; check the datastore is writable");
  }

  uint64_t n = 0;
  {
    std::lock_guard lk(mu_);
    n = next_token_++;
    dir_ = *dir;
  }
  auto cap = std::make_shared<Capture>();
  cap->pin = pin;
  cap->sink = &sink;
  cap->file_name = on_host_file_name(settings_.session_id, pin, n);
  cap->remote_path = *dir + "/" + cap->file_name;
  cap->started_ns = wall_ns();

  auto planned = host::plan_pktcap(pktcap_request(request, cap->remote_path), info_.version);
  if (!planned.ok()) return planned.error().context(info_.name);
  if (planned->size() != 1) {
    return Error("pktcap.plan", info_.name + ": pin " + pin.name() + " needs " +
                                    std::to_string(planned->size()) +
                                    " processes; the orchestrator must split directions");
  }
  // With -o FILE pktcap-uw writes nothing on stdout; the channel tells its end.
  auto proc = host::PktcapProcess::start(conn_, (*planned)[0].argv, [](std::string_view) {});
  if (!proc.ok()) return proc.error().context(info_.name);
  cap->proc = std::move(*proc);
  auto pid = cap->proc->pid();
  if (!pid) {
    return Error("pktcap.no-pid", info_.name + ": pktcap-uw started but its PID never arrived");
  }
  std::string token = info_.name + "#onhost" + std::to_string(n);
  {
    std::lock_guard lk(mu_);
    captures_[token] = cap;
  }
  spdlog::debug("{}: on-host capture of {} writes {} (PID {})", info_.name, pin.name(),
                cap->remote_path, *pid);
  // Captures cut off with their connection are stopped once the new one runs, so the
  // pin is covered throughout.
  retry_pending(cap.get());
  return CaptureHandle{*pid, token, cap->remote_path};
}

Status OnHostPort::stop_capture(const CaptureHandle& handle) {
  std::shared_ptr<Capture> cap;
  {
    std::lock_guard lk(mu_);
    auto it = captures_.find(handle.token);
    if (it == captures_.end()) return streaming_.kill_leftover(handle.pid);
    cap = it->second;
  }
  auto r = cap->proc->stop();
  if (!r.ok() && !r.error().is(ErrorKind::NotFound)) {
    return r.error().reworded(info_.name + ": " + r.error().message + "; its file " +
                              cap->remote_path + " is fetched once it stops");
  }
  if (r.ok() && !r->gone) {
    return Error("pktcap.stop", info_.name + ": pktcap-uw PID " + std::to_string(handle.pid) +
                                    " did not exit: " + r->note + "; its file " + cap->remote_path +
                                    " is fetched once it stops");
  }
  {
    std::lock_guard lk(mu_);
    captures_.erase(handle.token);
  }
  collect(*cap);
  return Status();
}

CaptureStatus OnHostPort::status(const CaptureHandle& handle) {
  std::shared_ptr<Capture> cap;
  {
    std::lock_guard lk(mu_);
    auto it = captures_.find(handle.token);
    if (it == captures_.end()) return make_status(CaptureStatus::Health::Exited, "unknown capture");
    cap = it->second;
  }
  std::optional<std::pair<int64_t, std::string>> port;
  const auto now = std::chrono::steady_clock::now();
  if (cap->pin.kind == PinKind::VmPort && now - cap->last_port_check >= kPortCheckInterval) {
    port = std::make_pair(cap->pin.port_id, cap->pin.mac.str());
    cap->last_port_check = now;
  }
  auto h = cap->proc->health(port ? &resolver_ : nullptr, port);
  if (!h.ok())
    return make_status(CaptureStatus::Health::Running, "health unknown: " + h.error().message);
  switch (*h) {
    case host::CaptureHealth::Starting:
    case host::CaptureHealth::Running: {
      bool due = false;
      {
        std::lock_guard lk(mu_);
        due = now - last_space_check_ >= settings_.space_check_interval;
        if (due) last_space_check_ = now;
      }
      // A full datastore ends the session (set through events_); the capture runs until
      // the session stops it and fetches its file.
      if (due) {
        if (auto full = check_datastore())
          return make_status(CaptureStatus::Health::Running, *full);
      }
      return make_status(CaptureStatus::Health::Running, "");
    }
    case host::CaptureHealth::Deaf:
      return make_status(CaptureStatus::Health::Deaf, "port " + std::to_string(cap->pin.port_id) +
                                                          " is gone from " + info_.name);
    default: break;
  }
  // It ended by itself (or its channel did): the runtime restarts the pin without a
  // stop_capture, so its file is fetched here.
  std::string detail = host::to_string(*h);
  if (auto ex = cap->proc->exit_info(); ex && !ex->detail.empty()) detail += ": " + ex->detail;
  auto lines = cap->proc->stderr_lines();
  for (const auto& l : lines) {
    if (l.rfind("error:", 0) == 0) detail += " (" + host::excerpt(l) + ")";
  }
  {
    std::lock_guard lk(mu_);
    captures_.erase(handle.token);
  }
  if (*h == host::CaptureHealth::ConnectionLost) {
    // A file capture outlives its channel: it goes on writing on the host, so nothing is
    // lost while the connection is down. It is stopped by PID and its file fetched once
    // the host answers and the pin's new capture runs (start_capture), or when the
    // runtime stops it as an orphan (host_lost: kill_leftover).
    note(info_.name + ": the on-host capture of " + cap->pin.name() + " (PID " +
         std::to_string(handle.pid) + ", " + cap->remote_path +
         ") lost its connection; it "
         "goes on writing there and is stopped and fetched once the host answers");
    {
      std::lock_guard lk(mu_);
      pending_.push_back(cap);
    }
    auto s = make_status(CaptureStatus::Health::Exited, detail);
    s.host_lost = true;
    s.still_recording = true;
    return s;
  }
  collect(*cap);
  if (auto full = check_datastore()) detail += "; " + *full;
  return make_status(CaptureStatus::Health::Exited, detail);
}

std::optional<std::string> OnHostPort::full_text() const {
  std::lock_guard lk(mu_);
  return full_;
}

void OnHostPort::retry_pending(Capture* newer) {
  std::vector<std::shared_ptr<Capture>> pending;
  {
    std::lock_guard lk(mu_);
    pending.swap(pending_);
  }
  for (auto& cap : pending) {
    const int64_t pid = cap->proc->pid().value_or(0);
    if (auto st = streaming_.kill_leftover(pid); !st.ok()) {
      std::lock_guard lk(mu_);
      pending_.push_back(cap);
      continue;
    }
    // Both ran for a moment: what the old one saw then, the new one's file repeats.
    const bool same_pin = newer != nullptr && newer->pin.key() == cap->pin.key();
    collect(*cap, same_pin ? newer : nullptr);
  }
}

std::optional<std::string> OnHostPort::check_datastore() {
  std::string dir;
  {
    std::lock_guard lk(mu_);
    if (full_) return full_;
    dir = dir_;
  }
  if (dir.empty()) return std::nullopt;
  auto usage = host::remote_space(conn_, dir);
  if (!usage.ok()) {
    spdlog::debug("{}: free space of {} unknown: {}", info_.name, dir, usage.error().message);
    return std::nullopt;
  }
  auto room = host::check_space(*usage);
  if (room.ok) return std::nullopt;
  std::string text = "on-host output: " + space_text(info_.name, *usage, room.reserve) +
                     ": the session ends so that the capture files there stay whole (they are "
                     "fetched as the captures stop); free space on the datastore or choose "
                     "another one (output.on_host.datastore)";
  {
    std::lock_guard lk(mu_);
    if (full_) return full_;
    full_ = text;
  }
  spdlog::error("{}", text);
  if (events_.end_session) events_.end_session(text);
  return text;
}

void OnHostPort::collect(Capture& cap, Capture* overlapping) {
  if (cap.collected) return;
  cap.collected = true;
  // `kept` says where the file is and that it stays there (host::kept_on_host).
  auto keep = [&](const Error& kept) {
    const std::string text =
        kept.message + " (fetch it by hand, e.g. `scp " + info_.name + ":" + cap.remote_path + " .`)";
    spdlog::error("{}", text);
    if (events_.note) events_.note(text);
    std::lock_guard lk(mu_);
    kept_.push_back(text);
  };
  if (::mkdir(settings_.staging_dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return keep(host::kept_on_host(info_.name, cap.remote_path,
                                   Error("onhost.local", "cannot make the local staging directory " +
                                                             errno_text(settings_.staging_dir))));
  }
  const std::string local = settings_.staging_dir + "/" + cap.file_name;
  auto fetched = fetch_home(conn_, cap.remote_path, local);
  if (!fetched.ok()) return keep(fetched.error());
  if (!fetched->not_removed.empty()) note(fetched->not_removed);
  auto pushed = push_frames(cap, local, overlapping);
  if (!pushed.ok()) {
    note(pushed.error().message + "; the fetched copy is kept at " + local);
  }
}

Result<uint64_t> OnHostPort::push_frames(Capture& cap, const std::string& local_path,
                                         Capture* overlapping) {
  const int64_t overlap_from = overlapping ? overlapping->started_ns - kOverlapMarginNs : 0;
  std::ifstream in(local_path, std::ios::binary);
  if (!in) return Error("onhost.read", "cannot read the fetched copy " + local_path);
  capture::PcapStreamReader reader(info_.name + ":" + cap.remote_path);
  std::vector<uint8_t> buf(256 * 1024);
  uint64_t n = 0;
  std::optional<Error> damaged;
  while (!damaged) {
    in.read(reinterpret_cast<char*>(buf.data()), static_cast<std::streamsize>(buf.size()));
    const auto got = static_cast<size_t>(in.gcount());
    if (got == 0) break;
    reader.push(std::span<const uint8_t>(buf.data(), got));
    for (;;) {
      auto f = reader.next();
      if (!f.ok()) {
        damaged = f.error();
        break;
      }
      if (!*f) break;
      const auto& v = **f;
      if (!cap.delivered.empty()) {
        auto it = cap.delivered.find(frame_key(v.ts_ns, v));
        if (it != cap.delivered.end()) {
          cap.delivered.erase(it);
          ++cap.copies_dropped;
          continue;
        }
      }
      if (overlapping && v.ts_ns >= overlap_from)
        overlapping->delivered.insert(frame_key(v.ts_ns, v));
      orchestrator::CapturedFrame cf;
      cf.ts_ns = v.ts_ns;
      cf.orig_len = v.orig_len;
      cf.data = v.data;
      cf.dir = frame_direction(cap.pin, v.data);
      cap.sink->frame(cap.pin, cf);
      ++n;
    }
  }
  {
    std::lock_guard lk(mu_);
    frames_fetched_ += n;
  }
  if (damaged) {
    return damaged->reworded(damaged->message + " (" + std::to_string(n) + " frames before it were kept)");
  }
  if (auto st = reader.finish(); !st.ok()) {
    return st.error().reworded(st.error().message + " (" + std::to_string(n) +
                               " frames before it were kept)");
  }
  spdlog::debug("{}: fetched {} ({} frames, {} already delivered by the capture before it)",
                info_.name, cap.remote_path, n, cap.copies_dropped);
  cap.delivered.clear();
  return n;
}

std::vector<std::string> OnHostPort::kept() const {
  std::lock_guard lk(mu_);
  std::vector<std::string> out = kept_;
  auto unstopped = [&](const Capture& cap) {
    out.push_back(info_.name + ":" + cap.remote_path + ": its capture (PID " +
                  std::to_string(cap.proc->pid().value_or(0)) +
                  ") was not stopped by this session; stop it and fetch the file by hand");
  };
  for (const auto& [token, cap] : captures_) unstopped(*cap);
  for (const auto& cap : pending_) unstopped(*cap);
  return out;
}

uint64_t OnHostPort::frames_fetched() const {
  std::lock_guard lk(mu_);
  return frames_fetched_;
}

Result<orchestrator::HostPort*> OnHostConnector::connect(const model::HostInfo& host) {
  auto p = inner_.connect(host);
  if (!p.ok()) return p.error();
  auto* ssh = dynamic_cast<SshHostPort*>(*p);
  if (ssh == nullptr) {
    return Error("onhost.connector", host.name + ": on-host output needs an SSH host connection");
  }
  const std::string key = host.ref.value.empty() ? host.name : host.ref.value;
  std::lock_guard lk(mu_);
  auto& slot = ports_[key];
  if (!slot) slot = std::make_unique<OnHostPort>(host, *ssh, ssh->connection(), settings_, events_);
  return static_cast<orchestrator::HostPort*>(slot.get());
}

std::vector<std::string> OnHostConnector::kept() const {
  std::lock_guard lk(mu_);
  std::vector<std::string> out;
  for (const auto& [key, port] : ports_) {
    auto k = port->kept();
    out.insert(out.end(), k.begin(), k.end());
  }
  return out;
}

}  // namespace vmc::session
