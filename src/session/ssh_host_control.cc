#include "session/ssh_host_control.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <cstring>

#include "capture/pcap_stream_reader.h"
#include "host/on_host_output.h"
#include "host/pktcap_args.h"
#include "host/text.h"
#include "model/mac.h"
#include "session/fetch_home.h"

namespace vmc::session {

using orchestrator::CaptureHandle;
using orchestrator::CaptureStatus;
using orchestrator::Pin;
using orchestrator::PinKind;

model::Direction pktcap_direction(const Pin& pin) {
  if (pin.kind != PinKind::VmPort || pin.dir == model::Direction::Both) return pin.dir;
  return pin.dir == model::Direction::In ? model::Direction::Out : model::Direction::In;
}

host::PktcapRequest pktcap_request(const orchestrator::CaptureRequest& request, std::string output) {
  const Pin& pin = request.pin;
  host::PktcapRequest req;
  if (pin.kind == PinKind::VmPort) {
    req.target = {host::TargetKind::SwitchPort, pin.port_id, ""};
  } else {
    req.target = {host::TargetKind::Uplink, 0, pin.uplink};
  }
  req.direction = pktcap_direction(pin);
  req.stage = request.stage;
  req.capture_point = request.capture_point;
  req.snaplen = request.snaplen;
  req.filter = request.filter;
  req.output = std::move(output);
  return req;
}

model::Direction frame_direction(const Pin& pin, std::span<const uint8_t> frame) {
  return FrameDirection(pin)(frame);
}

FrameDirection::FrameDirection(const Pin& pin) : fixed_(pin.dir) {
  if (pin.dir != model::Direction::Both || pin.kind == PinKind::Uplink || pin.mac.empty()) return;
  by_mac_ = true;
  mac_ = pin.mac.octets();
}

model::Direction FrameDirection::operator()(std::span<const uint8_t> frame) const {
  if (!by_mac_ || frame.size() < 12) return fixed_;
  return std::memcmp(frame.data() + 6, mac_.data(), 6) == 0 ? model::Direction::Out
                                                           : model::Direction::In;
}

namespace {
constexpr auto kPortCheckInterval = std::chrono::seconds(5);
}  // namespace

namespace {
// pktcap-uw's final count of dropped frames, once it printed it.
std::optional<uint64_t> final_drops(const host::PktcapStatus& st) {
  if (auto d = st.dumped()) return static_cast<uint64_t>(std::max<int64_t>(0, d->drop));
  if (auto f = st.final_stats()) return static_cast<uint64_t>(std::max<int64_t>(0, f->drop));
  return std::nullopt;
}
}  // namespace

struct SshHostControl::Capture {
  Pin pin;
  orchestrator::FrameSink* sink = nullptr;
  std::unique_ptr<host::PktcapProcess> proc;
  std::mutex mu;  // guards reader and error (the I/O thread feeds, status() reads)
  capture::PcapStreamReader reader;
  std::optional<Error> stream_error;
  std::chrono::steady_clock::time_point last_port_check = std::chrono::steady_clock::now();
  bool drops_reported = false;
  FrameDirection direction;
  explicit Capture(const Pin& p) : pin(p), reader(p.name()), direction(p) {}

  // Passes pktcap-uw's dropped count to the sink, once, when it has printed it.
  void report_drops() {
    if (drops_reported || !proc) return;
    if (auto n = final_drops(proc->status())) {
      drops_reported = true;
      sink->capture_dropped(pin, *n);
    }
  }

  void feed(std::string_view bytes) {
    std::lock_guard lk(mu);
    if (stream_error) return;
    reader.push(std::span(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
    for (;;) {
      auto f = reader.next();
      if (!f.ok()) {
        stream_error = f.error();
        spdlog::error("{}", f.error().message);
        return;
      }
      if (!*f) return;
      const auto& v = **f;
      orchestrator::CapturedFrame cf;
      cf.ts_ns = v.ts_ns;
      cf.orig_len = v.orig_len;
      cf.data = v.data;
      cf.dir = direction(v.data);
      sink->frame(pin, cf);
    }
  }
};

SshHostControl::SshHostControl(model::HostInfo info, std::unique_ptr<host::HostConnection> conn)
    : info_(std::move(info)), conn_(std::move(conn)), resolver_(*conn_) {}

SshHostControl::~SshHostControl() = default;

Result<std::optional<int64_t>> SshHostControl::resolve_port(const std::string& mac) {
  auto r = resolver_.resolve({mac}, {});
  if (!r.ok()) return r.error().context(info_.name);
  const auto parsed = model::Mac::parse(mac);
  const std::string norm = parsed ? parsed->str() : mac;
  auto it = r->ports.find(norm);
  if (it != r->ports.end()) return std::optional<int64_t>(it->second.port_id);
  if (!r->warnings.empty() && r->ports.empty()) {
    // Every source failed: the host could not be asked, which is not "no port".
    std::string w;
    for (const auto& s : r->warnings) w += (w.empty() ? "" : "; ") + s;
    return Error("host.resolve", info_.name + ": cannot list ports: " + w);
  }
  return std::optional<int64_t>();
}

Result<CaptureHandle> SshHostControl::start_capture(const orchestrator::CaptureRequest& request,
                                                 orchestrator::FrameSink& sink) {
  const Pin& pin = request.pin;
  auto planned = host::plan_pktcap(pktcap_request(request, "-"), info_.version);
  if (!planned.ok()) return planned.error().context(info_.name);
  if (planned->size() != 1) {
    return Error("pktcap.plan", info_.name + ": pin " + pin.name() + " needs " +
                                    std::to_string(planned->size()) +
                                    " processes; the orchestrator must split directions");
  }
  auto cap = std::make_shared<Capture>(pin);
  cap->sink = &sink;
  std::weak_ptr<Capture> weak = cap;
  auto proc = host::PktcapProcess::start(*conn_, (*planned)[0].argv, [weak](std::string_view b) {
    if (auto c = weak.lock()) c->feed(b);
  });
  if (!proc.ok()) return proc.error().context(info_.name);
  cap->proc = std::move(*proc);
  auto pid = cap->proc->pid();
  if (!pid) {
    return Error("pktcap.no-pid", info_.name + ": pktcap-uw started but its PID never arrived");
  }
  // The PID comes from the shell before pktcap-uw runs: the capture records from its
  // "Vsock connection" line on, so the pin (and its coverage) starts there. A build
  // that never prints the line costs this wait once per start; it goes on regardless.
  cap->proc->wait_connected(std::chrono::seconds(2));
  std::lock_guard lk(mu_);
  std::string token = info_.name + "#" + std::to_string(next_token_++);
  captures_[token] = cap;
  return CaptureHandle{*pid, token, ""};  // streamed: no file on the host
}

Status SshHostControl::stop_capture(const CaptureHandle& handle) {
  std::shared_ptr<Capture> cap;
  {
    std::lock_guard lk(mu_);
    auto it = captures_.find(handle.token);
    if (it == captures_.end()) return kill_leftover(handle.pid);
    cap = it->second;
    captures_.erase(it);
  }
  auto r = cap->proc->stop();
  if (!r.ok()) {
    if (r.error().is(ErrorKind::NotFound)) return Status();
    return r.error().context(info_.name);
  }
  cap->report_drops();
  if (!r->gone) {
    return Error("pktcap.stop", info_.name + ": pktcap-uw PID " + std::to_string(handle.pid) +
                                    " did not exit: " + r->note);
  }
  return Status();
}

CaptureStatus SshHostControl::status(const CaptureHandle& handle) {
  std::shared_ptr<Capture> cap;
  {
    std::lock_guard lk(mu_);
    auto it = captures_.find(handle.token);
    if (it == captures_.end()) return {CaptureStatus::Health::Exited, "unknown capture"};
    cap = it->second;
  }
  {
    std::lock_guard lk(cap->mu);
    if (cap->stream_error) return {CaptureStatus::Health::Exited, cap->stream_error->message};
  }
  // Whether the pinned port still exists costs a command on the host: ask every few
  // seconds (vCenter's port lists and events report changes sooner).
  std::optional<std::pair<int64_t, std::string>> port;
  auto now = std::chrono::steady_clock::now();
  if (cap->pin.kind == PinKind::VmPort && now - cap->last_port_check >= kPortCheckInterval) {
    port = std::make_pair(cap->pin.port_id, cap->pin.mac.str());
    cap->last_port_check = now;
  }
  auto h = cap->proc->health(port ? &resolver_ : nullptr, port);
  if (!h.ok()) return {CaptureStatus::Health::Running, "health unknown: " + h.error().message};
  switch (*h) {
    case host::CaptureHealth::Starting:
    case host::CaptureHealth::Running:
      return {CaptureStatus::Health::Running, ""};
    case host::CaptureHealth::Deaf:
      return {CaptureStatus::Health::Deaf,
              "port " + std::to_string(cap->pin.port_id) + " is gone from " + info_.name};
    default: {
      auto st = cap->proc->status();
      auto ex = cap->proc->exit_info();
      std::string detail = host::to_string(*h);
      if (ex && !ex->detail.empty()) detail += ": " + ex->detail;
      cap->report_drops();
      CaptureStatus s{CaptureStatus::Health::Exited, detail};
      if (ex && ex->connection_lost) {
        s.host_lost = true;
        s.since = ex->last_heard;
      }
      return s;
    }
  }
}

Status SshHostControl::kill_leftover(int64_t pid) {
  auto r = host::stop_pktcap_pid(*conn_, pid, host::StopOptions{}, host::real_sleeper());
  if (!r.ok()) return r.error().context(info_.name);
  if (r->was_running && !r->gone) {
    return Error("pktcap.stop", info_.name + ": left-over pktcap-uw PID " + std::to_string(pid) +
                                    " did not exit");
  }
  return Status();
}

Result<orchestrator::FetchedFile> SshHostControl::fetch_leftover_file(const std::string& remote_path,
                                                                  const std::string& local_path) {
  if (!host::is_capture_file_path(remote_path)) {
    return Error("onhost.path", "not fetching " + info_.name + ":" + host::excerpt(remote_path) +
                                    ": not a vm-capture file on a datastore or /tmp (damaged journal?)");
  }
  struct stat st {};
  if (::lstat(local_path.c_str(), &st) == 0) {
    return Error("onhost.local", "not fetching " + info_.name + ":" + remote_path + ": " + local_path +
                                     " exists already (move it away, or give another directory)");
  }
  return fetch_home(*conn_, remote_path, local_path);
}

}  // namespace vmc::session
