#include "host/pktcap_process.h"

#include <algorithm>
#include <thread>

#include "host/ps.h"
#include "host/text.h"

namespace vmc::host {

Sleeper real_sleeper() {
  return [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
}

const char* to_string(CaptureHealth h) {
  switch (h) {
    case CaptureHealth::Starting: return "starting";
    case CaptureHealth::Running: return "running";
    case CaptureHealth::Deaf: return "deaf";
    case CaptureHealth::Exited: return "exited";
    case CaptureHealth::Failed: return "failed";
    case CaptureHealth::ConnectionLost: return "connection-lost";
    case CaptureHealth::Stopped: return "stopped";
  }
  return "?";
}

namespace {

// `ps -c` -> the row of `pid`, or nullopt when it is not listed.
Result<std::optional<ProcessRow>> ps_row(HostConnection& conn, int64_t pid) {
  auto r = conn.run({"ps", "-c"});
  if (!r) return r.error();
  if (r->exit_status != 0) {
    return Error("host.command", conn.host() + ": `ps -c` exited with status " +
                                     std::to_string(r->exit_status) + ": " + excerpt(trim(r->err)));
  }
  auto rows = parse_ps(r->out);
  if (!rows) return rows.error().context(conn.host());
  return find_process(*rows, pid);
}

}  // namespace

Result<StopReport> stop_pktcap_pid(HostConnection& conn, int64_t pid, const StopOptions& opt,
                                   const Sleeper& sleep) {
  StopReport rep;
  if (pid <= 1) return Error("pktcap.pid", "refusing to signal PID " + std::to_string(pid));
  auto row = ps_row(conn, pid);
  if (!row) return row.error();
  if (!*row) {
    rep.gone = true;
    rep.note = "PID " + std::to_string(pid) + " had already ended";
    return rep;
  }
  if (!is_pktcap(**row)) {
    rep.gone = true;  // ours is gone; the PID was reused
    rep.note = "PID " + std::to_string(pid) + " now belongs to " + excerpt((*row)->command) +
               ", not pktcap-uw: not killed";
    return rep;
  }
  rep.was_running = true;
  auto signal = [&](bool hard) -> Status {
    std::vector<std::string> argv{"kill"};
    if (hard) argv.push_back("-KILL");
    argv.push_back(std::to_string(pid));
    auto k = conn.run(argv);
    if (!k) return k.error();
    rep.killed = true;
    // "No such process": it ended between ps and kill, which is what we wanted.
    if (k->exit_status != 0 && k->err.find("No such process") == std::string::npos) {
      return Error("pktcap.kill", conn.host() + ": `kill " + std::string(hard ? "-KILL " : "") +
                                      std::to_string(pid) + "` failed: " + excerpt(trim(k->err)));
    }
    return {};
  };
  auto wait_gone = [&]() -> Result<bool> {
    for (int i = 0; i < opt.verify_attempts; ++i) {
      auto r = ps_row(conn, pid);
      if (!r) return r.error();
      if (!*r || !is_pktcap(**r)) return true;
      sleep(opt.verify_interval);
    }
    return false;
  };
  if (auto st = signal(false); !st) return st.error();
  auto gone = wait_gone();
  if (!gone) return gone.error();
  if (!*gone && opt.escalate_to_kill) {
    rep.escalated = true;
    if (auto st = signal(true); !st) return st.error();
    gone = wait_gone();
    if (!gone) return gone.error();
  }
  rep.gone = *gone;
  if (!rep.gone) {
    rep.note = "pktcap-uw PID " + std::to_string(pid) + " on " + conn.host() +
               " is still running after kill; stop it by hand with `kill -KILL " + std::to_string(pid) + "`";
  }
  return rep;
}

PktcapProcess::PktcapProcess(HostConnection& conn, std::vector<std::string> argv)
    : conn_(conn), argv_(std::move(argv)) {}

PktcapProcess::~PktcapProcess() {
  // Closing the channel does not kill the remote process; stop() does. The handle
  // goes first so no callback runs into a destroyed object.
  proc_.reset();
}

Result<std::unique_ptr<PktcapProcess>> PktcapProcess::start(HostConnection& conn,
                                                            std::vector<std::string> argv,
                                                            std::function<void(std::string_view)> on_pcap,
                                                            std::chrono::milliseconds pid_timeout) {
  std::unique_ptr<PktcapProcess> p(new PktcapProcess(conn, std::move(argv)));
  p->on_pcap_ = std::move(on_pcap);
  PktcapProcess* self = p.get();
  ProcessCallbacks cb;
  cb.on_pid = [self](int64_t pid) {
    std::lock_guard<std::mutex> g(self->mu_);
    self->pid_ = pid;
    self->cv_.notify_all();
  };
  cb.on_stdout = [self](std::string_view d) {
    {
      std::lock_guard<std::mutex> g(self->mu_);
      self->bytes_ += d.size();
    }
    if (self->on_pcap_) self->on_pcap_(d);
  };
  cb.on_stderr_line = [self](std::string_view l) {
    std::lock_guard<std::mutex> g(self->mu_);
    self->status_.feed(l);
    if (self->lines_.size() < 1000) self->lines_.emplace_back(l);
    // 7.0+: "pktcap: Vsock connection from port N cid 2."; 6.x runs it on after
    // "Accept...": frames flow from here on.
    if (!self->connected_ && l.find("Vsock connection from port") != std::string_view::npos) {
      self->connected_ = true;
      self->cv_.notify_all();
    }
  };
  cb.on_exit = [self](const ProcessExit& e) {
    std::lock_guard<std::mutex> g(self->mu_);
    self->exit_ = e;
    self->cv_.notify_all();
  };
  auto rp = conn.start(p->argv_, std::move(cb));
  if (!rp) return rp.error().context("starting pktcap-uw on " + conn.host());
  p->proc_ = std::move(*rp);
  std::string why;
  {
    std::unique_lock<std::mutex> lk(p->mu_);
    p->cv_.wait_for(lk, pid_timeout, [&] { return p->pid_.has_value() || p->exit_.has_value(); });
    if (p->pid_) return p;
    for (const auto& l : p->lines_) why += (why.empty() ? "" : " | ") + l;
    if (p->exit_) {
      return Error("pktcap.start", conn.host() + ": `" + p->argv_.front() + "` ended before it started (" +
                                       p->exit_->detail + ")" + (why.empty() ? "" : ": " + excerpt(why)));
    }
  }
  p->proc_->close();
  return Error("pktcap.no-pid", conn.host() + ": pktcap-uw reported no PID within " +
                                    std::to_string(pid_timeout.count()) +
                                    " ms; its channel was closed (check `ps -c` on the host for a "
                                    "leftover pktcap-uw)");
}

bool PktcapProcess::connected() const {
  std::lock_guard<std::mutex> g(mu_);
  return connected_;
}

bool PktcapProcess::wait_connected(std::chrono::milliseconds limit) {
  std::unique_lock<std::mutex> lk(mu_);
  cv_.wait_for(lk, limit, [&] { return connected_ || exit_.has_value(); });
  return connected_;
}

std::optional<int64_t> PktcapProcess::pid() const {
  std::lock_guard<std::mutex> g(mu_);
  return pid_;
}

PktcapStatus PktcapProcess::status() const {
  std::lock_guard<std::mutex> g(mu_);
  return status_;
}

std::vector<std::string> PktcapProcess::stderr_lines() const {
  std::lock_guard<std::mutex> g(mu_);
  return lines_;
}

uint64_t PktcapProcess::bytes() const {
  std::lock_guard<std::mutex> g(mu_);
  return bytes_;
}

bool PktcapProcess::exited() const {
  std::lock_guard<std::mutex> g(mu_);
  return exit_.has_value();
}

std::optional<ProcessExit> PktcapProcess::exit_info() const {
  std::lock_guard<std::mutex> g(mu_);
  return exit_;
}

Result<CaptureHealth> PktcapProcess::health(PortResolver* resolver,
                                            std::optional<std::pair<int64_t, std::string>> port) {
  {
    std::lock_guard<std::mutex> g(mu_);
    if (stopped_) return CaptureHealth::Stopped;
    if (exit_) {
      if (exit_->connection_lost) return CaptureHealth::ConnectionLost;
      return status_.state() == PktcapState::Failed ? CaptureHealth::Failed : CaptureHealth::Exited;
    }
    if (status_.state() == PktcapState::Failed) return CaptureHealth::Failed;
  }
  if (resolver && port) {
    auto present = resolver->port_present(port->first, port->second);
    if (!present) return present.error();
    if (!*present) return CaptureHealth::Deaf;
  }
  std::lock_guard<std::mutex> g(mu_);
  if (!pid_ || status_.state() == PktcapState::Starting) return CaptureHealth::Starting;
  return CaptureHealth::Running;
}

Result<StopReport> PktcapProcess::stop(const StopOptions& opt, const Sleeper& sleep) {
  auto p = pid();
  if (!p) {
    if (proc_) proc_->close();
    // No process of ours is known to stop: NotFound, which stop callers take as stopped.
    return Error("pktcap.no-pid",
                 conn_.host() +
                     ": pktcap-uw never reported its PID, so it cannot be stopped "
                     "safely; its channel was closed. Check `ps -c` on the host for a "
                     "leftover pktcap-uw.",
                 ErrorKind::NotFound);
  }
  // While our channel to the process is open the PID is still our pktcap-uw (the
  // channel ends when it does), so the `ps` check before the kill can be skipped and its
  // end is seen on the channel: one round trip instead of three on the re-pin path.
  bool channel_open = false;
  {
    std::lock_guard<std::mutex> g(mu_);
    channel_open = !exit_.has_value();
  }
  if (channel_open && *p > 1) {
    auto k = conn_.run({"kill", std::to_string(*p)});
    if (k && k->exit_status == 0) {
      std::unique_lock<std::mutex> lk(mu_);
      const auto window = opt.verify_interval * std::max(1, opt.verify_attempts);
      if (cv_.wait_for(lk, window, [&] { return exit_.has_value(); }) && !exit_->connection_lost) {
        stopped_ = true;
        StopReport rep;
        rep.was_running = true;
        rep.killed = true;
        rep.gone = true;
        rep.note = "PID " + std::to_string(*p) + " ended on `kill`";
        return rep;
      }
    }
    // Not seen to end (or the kill failed): verify with `ps` and escalate as usual.
  }
  auto rep = stop_pktcap_pid(conn_, *p, opt, sleep);
  if (!rep) return rep;
  {
    std::unique_lock<std::mutex> lk(mu_);
    stopped_ = true;
    cv_.wait_for(lk, opt.exit_wait, [&] { return exit_.has_value(); });
  }
  return rep;
}

}  // namespace vmc::host
