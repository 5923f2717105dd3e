#include "session/on_host_control.h"

#include <spdlog/spdlog.h>

#include "host/on_host_output.h"
#include "host/pktcap_args.h"
#include "host/text.h"
#include "session/on_host_names.h"

namespace vmc::session {

using orchestrator::CaptureHandle;
using orchestrator::CaptureStatus;
using orchestrator::Pin;
using orchestrator::PinKind;

namespace {

constexpr auto kPortCheckInterval = std::chrono::seconds(5);

int64_t wall_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

CaptureStatus make_status(CaptureStatus::Health h, std::string detail) {
  CaptureStatus s;
  s.health = h;
  s.detail = std::move(detail);
  return s;
}

}  // namespace

struct OnHostControl::Capture {
  CaptureFile file;
  std::unique_ptr<host::PktcapProcess> proc;
  std::chrono::steady_clock::time_point last_port_check = std::chrono::steady_clock::now();
};

OnHostControl::OnHostControl(model::HostInfo info, SshHostControl& streaming, OnHostSettings settings,
                       OnHostEvents events)
    : info_(std::move(info)),
      streaming_(streaming),
      conn_(streaming.connection()),
      resolver_(conn_),
      settings_(std::move(settings)),
      events_(std::move(events)),
      space_(info_.name, conn_, settings_.space_check_interval, events_.end_session),
      fetcher_(info_.name, conn_, settings_.staging_dir, events_.note) {}

OnHostControl::~OnHostControl() = default;

void OnHostControl::note(const std::string& text) {
  spdlog::warn("{}", text);
  if (events_.note) events_.note(text);
}

Result<std::optional<int64_t>> OnHostControl::resolve_port(const std::string& mac) {
  return streaming_.resolve_port(mac);
}

Status OnHostControl::kill_leftover(int64_t pid) {
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
  if (cap) fetcher_.collect(cap->file);
  return st;
}

Result<orchestrator::FetchedFile> OnHostControl::fetch_leftover_file(const std::string& remote_path,
                                                                 const std::string& local_path) {
  return streaming_.fetch_leftover_file(remote_path, local_path);
}

Result<CaptureHandle> OnHostControl::start_capture(const orchestrator::CaptureRequest& request,
                                                orchestrator::FrameSink& sink) {
  const Pin& pin = request.pin;
  if (auto full = space_.full()) return Error("onhost.space", *full);
  auto dir = host::on_host_directory(settings_.output);
  if (!dir.ok()) return dir.error().context(info_.name);
  // Room first: a capture started on a full datastore would end at its first frame.
  if (auto room = space_.room_to_start(*dir, pin.name()); !room) return room.error();
  auto mk = conn_.run({"mkdir", "-p", *dir});
  if (!mk.ok()) return mk.error().context(info_.name);
  if (mk->exit_status != 0) {
    return Error("onhost.mkdir", info_.name + ": `mkdir -p " + *dir +
                                     "` failed: " + host::excerpt(host::trim(mk->err)) +
                                     "; check the datastore is writable");
  }
  space_.capturing_in(*dir);

  uint64_t n = 0;
  {
    std::lock_guard lk(mu_);
    n = next_token_++;
  }
  auto cap = std::make_shared<Capture>();
  cap->file.pin = pin;
  cap->file.sink = &sink;
  cap->file.file_name = on_host_file_name(settings_.session_id, pin, n);
  cap->file.remote_path = *dir + "/" + cap->file.file_name;
  cap->file.started_ns = wall_ns();

  auto planned = host::plan_pktcap(pktcap_request(request, cap->file.remote_path), info_.version);
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
  // As for a streamed capture: the file records from the "Vsock connection" line on.
  cap->proc->wait_connected(std::chrono::seconds(2));
  std::string token = info_.name + "#onhost" + std::to_string(n);
  {
    std::lock_guard lk(mu_);
    captures_[token] = cap;
  }
  spdlog::debug("{}: on-host capture of {} writes {} (PID {})", info_.name, pin.name(),
                cap->file.remote_path, *pid);
  // Captures cut off with their connection are stopped once the new one runs, so the
  // pin is covered throughout.
  retry_pending(cap.get());
  return CaptureHandle{*pid, token, cap->file.remote_path};
}

Status OnHostControl::stop_capture(const CaptureHandle& handle) {
  std::shared_ptr<Capture> cap;
  {
    std::lock_guard lk(mu_);
    auto it = captures_.find(handle.token);
    if (it == captures_.end()) return streaming_.kill_leftover(handle.pid);
    cap = it->second;
  }
  const std::string fetched_later = "; its file " + cap->file.remote_path + " is fetched once it stops";
  auto r = cap->proc->stop();
  // NotFound: no process of ours to stop (its PID never came).
  if (!r.ok() && !r.error().is(ErrorKind::NotFound))
    return r.error().reworded(info_.name + ": " + r.error().message + fetched_later);
  if (r.ok() && !r->gone) {
    return Error("pktcap.stop", info_.name + ": pktcap-uw PID " + std::to_string(handle.pid) +
                                    " did not exit: " + r->note + fetched_later);
  }
  {
    std::lock_guard lk(mu_);
    captures_.erase(handle.token);
  }
  fetcher_.collect(cap->file);
  return Status();
}

CaptureStatus OnHostControl::status(const CaptureHandle& handle) {
  std::shared_ptr<Capture> cap;
  {
    std::lock_guard lk(mu_);
    auto it = captures_.find(handle.token);
    if (it == captures_.end()) return make_status(CaptureStatus::Health::Exited, "unknown capture");
    cap = it->second;
  }
  const Pin& pin = cap->file.pin;
  std::optional<std::pair<int64_t, std::string>> port;
  const auto now = std::chrono::steady_clock::now();
  if (pin.kind == PinKind::VmPort && now - cap->last_port_check >= kPortCheckInterval) {
    port = std::make_pair(pin.port_id, pin.mac.str());
    cap->last_port_check = now;
  }
  auto h = cap->proc->health(port ? &resolver_ : nullptr, port);
  if (!h.ok())
    return make_status(CaptureStatus::Health::Running, "health unknown: " + h.error().message);
  switch (*h) {
    case host::CaptureHealth::Starting:
    case host::CaptureHealth::Running:
      // A full datastore ends the session (through events_); the capture runs until the
      // session stops it and fetches its file.
      return make_status(CaptureStatus::Health::Running, space_.check_if_due().value_or(""));
    case host::CaptureHealth::Deaf:
      return make_status(CaptureStatus::Health::Deaf,
                         "port " + std::to_string(pin.port_id) + " is gone from " + info_.name);
    default: break;
  }
  // It ended by itself (or its channel did): the runtime restarts the pin without a
  // stop_capture, so its file is fetched here.
  std::string detail = host::to_string(*h);
  if (auto ex = cap->proc->exit_info(); ex && !ex->detail.empty()) detail += ": " + ex->detail;
  for (const auto& l : cap->proc->stderr_lines()) {
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
    note(info_.name + ": the on-host capture of " + pin.name() + " (PID " + std::to_string(handle.pid) +
         ", " + cap->file.remote_path +
         ") lost its connection; it goes on writing there and is stopped and fetched once the host answers");
    {
      std::lock_guard lk(mu_);
      pending_.push_back(cap);
    }
    auto s = make_status(CaptureStatus::Health::Exited, detail);
    s.host_lost = true;
    s.still_recording = true;
    return s;
  }
  fetcher_.collect(cap->file);
  if (auto full = space_.check()) detail += "; " + *full;
  return make_status(CaptureStatus::Health::Exited, detail);
}

void OnHostControl::retry_pending(Capture* newer) {
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
    const bool same_pin = newer != nullptr && newer->file.pin.key() == cap->file.pin.key();
    fetcher_.collect(cap->file, same_pin ? &newer->file : nullptr);
  }
}

std::vector<std::string> OnHostControl::kept() const {
  std::vector<std::string> out = fetcher_.kept();
  std::lock_guard lk(mu_);
  auto unstopped = [&](const Capture& cap) {
    out.push_back(info_.name + ":" + cap.file.remote_path + ": its capture (PID " +
                  std::to_string(cap.proc->pid().value_or(0)) +
                  ") was not stopped by this session; stop it and fetch the file by hand");
  };
  for (const auto& [token, cap] : captures_) unstopped(*cap);
  for (const auto& cap : pending_) unstopped(*cap);
  return out;
}

Result<orchestrator::HostControl*> OnHostConnector::connect(const model::HostInfo& host) {
  auto ssh = ssh_.connect_ssh(host);
  if (!ssh.ok()) return ssh.error();
  const std::string key = host.ref.value.empty() ? host.name : host.ref.value;
  std::lock_guard lk(mu_);
  auto& slot = ports_[key];
  if (!slot) slot = std::make_unique<OnHostControl>(host, **ssh, settings_, events_);
  return static_cast<orchestrator::HostControl*>(slot.get());
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
