#include <libssh/server.h>  // ssh_send_keepalive
#include <poll.h>

#include "host/ssh_connection_impl.h"
#include "host/ssh_login.h"

// The I/O thread of an SshConnection: it reads every channel, keeps the connection
// alive, and re-makes it once it was lost and someone asked (ensure_connected).

namespace vmc::host {

namespace ssh {

void release_channel(Chan& c, bool close_first) {
  if (!c.ch) return;
  ssh_remove_channel_callbacks(c.ch, &c.cbs);
  if (close_first) ssh_channel_close(c.ch);
  ssh_channel_free(c.ch);
  c.ch = nullptr;
}

void deliver(std::vector<Event>& events) {
  for (auto& e : events) {
    std::lock_guard<std::recursive_mutex> g(e.chan->cb_mu);
    if (e.chan->user_closed || e.chan->exit_sent) continue;
    switch (e.kind) {
      case Event::Pid:
        if (e.chan->cb.on_pid) e.chan->cb.on_pid(e.chan->pid);
        break;
      case Event::Out:
        if (e.chan->cb.on_stdout) e.chan->cb.on_stdout(e.data);
        break;
      case Event::ErrLine:
        if (e.chan->cb.on_stderr_line) e.chan->cb.on_stderr_line(e.data);
        break;
      case Event::Exit:
        e.chan->exit_sent = true;
        e.chan->finished = true;
        if (e.chan->cb.on_exit) e.chan->cb.on_exit(e.exit);
        break;
    }
  }
  events.clear();
}

}  // namespace ssh

using ssh::Clock;
using ssh::Event;
using ssh::release_channel;

void SshConnection::Impl::install_locked(ssh_session s, std::string fp) {
  session = s;
  last_rx = Clock::now();
  last_keepalive = last_rx;
  std::lock_guard<std::mutex> st(state_mu);
  fingerprint = std::move(fp);
  up = true;
}

Status SshConnection::Impl::connect_locked() {
  std::string fp;
  auto s = open_ssh_session(opts, fp);
  if (!s) return s.error();
  install_locked(*s, std::move(fp));
  return {};
}

void SshConnection::Impl::reconnect_in_background() {
  {
    std::lock_guard<std::mutex> st(state_mu);
    if (up || !reconnect_wanted || Clock::now() < next_attempt) return;
  }
  std::string fp;
  auto s = open_ssh_session(opts, fp);
  std::lock_guard<std::mutex> g(mu);
  if (!s) {
    std::lock_guard<std::mutex> st(state_mu);
    last_error = s.error().message;
    last_error_code = s.error().code;
    last_error_kind = s.error().kind;
    next_attempt = Clock::now() + backoff.next_delay();
    return;
  }
  install_locked(*s, std::move(fp));
  std::lock_guard<std::mutex> st(state_mu);
  reconnect_wanted = false;
  last_error_code.clear();
  last_error_kind = ErrorKind::Failed;
  backoff.reset();
  ++reconnects;
}

void SshConnection::Impl::drop_locked(const std::string& why, std::vector<Event>& events) {
  const auto heard = std::chrono::system_clock::now() -
                     std::chrono::duration_cast<std::chrono::system_clock::duration>(Clock::now() - last_rx);
  for (auto& c : chans) {
    release_channel(*c, /*close_first=*/false);
    Event e{c, Event::Exit, {}, {}};
    e.exit.connection_lost = true;
    e.exit.last_heard = heard;
    e.exit.detail = opts.host + ": SSH connection lost: " + why;
    events.push_back(std::move(e));
  }
  chans.clear();
  if (session) {
    ssh_disconnect(session);
    ssh_free(session);
    session = nullptr;
  }
  std::lock_guard<std::mutex> st(state_mu);
  last_error = why;
  up = false;
  next_attempt = Clock::now() + backoff.next_delay();
}

bool SshConnection::Impl::pump_locked(std::vector<Event>& events) {
  if (!up) return false;
  bool activity = false;
  static thread_local char buf[65536];
  for (auto it = chans.begin(); it != chans.end();) {
    auto c = *it;
    bool gone = false;
    for (int stream = 0; stream < 2 && !gone; ++stream) {
      for (int round = 0; round < 16; ++round) {
        int n = ssh_channel_read_nonblocking(c->ch, buf, sizeof buf, stream);
        if (n == SSH_ERROR) {
          drop_locked(ssh_get_error(session), events);
          return true;
        }
        if (n <= 0) break;
        activity = true;
        last_rx = Clock::now();
        std::string_view data(buf, static_cast<size_t>(n));
        if (stream == 1) {
          c->err_lines.feed(data, [&](std::string_view l) {
            events.push_back({c, Event::ErrLine, std::string(l), {}});
          });
        } else if (c->framed) {
          bool had_pid = c->pid_splitter.pid().has_value();
          auto st = c->pid_splitter.feed(data, [&](std::string_view d) {
            if (!had_pid && c->pid_splitter.pid()) {
              // The PID event goes before the first payload bytes.
              had_pid = true;
              c->pid = *c->pid_splitter.pid();
              events.push_back({c, Event::Pid, {}, {}});
            }
            events.push_back({c, Event::Out, std::string(d), {}});
          });
          if (!had_pid && c->pid_splitter.pid()) {
            c->pid = *c->pid_splitter.pid();
            events.push_back({c, Event::Pid, {}, {}});
          }
          if (!st) {
            Event e{c, Event::Exit, {}, {}};
            e.exit.detail = opts.host + ": " + st.error().message;
            events.push_back(std::move(e));
            gone = true;
          }
        } else {
          events.push_back({c, Event::Out, std::string(data), {}});
        }
      }
    }
    bool eof = c->ch && ssh_channel_is_eof(c->ch) && ssh_channel_poll(c->ch, 0) <= 0 &&
               ssh_channel_poll(c->ch, 1) <= 0;
    bool closed = c->ch && ssh_channel_is_closed(c->ch);
    if (!gone && (closed || (eof && (c->exit_status || !c->exit_signal.empty())))) {
      c->err_lines.finish([&](std::string_view l) {
        events.push_back({c, Event::ErrLine, std::string(l), {}});
      });
      Event e{c, Event::Exit, {}, {}};
      e.exit.status = c->exit_status;
      e.exit.signal = c->exit_signal;
      e.exit.detail = c->exit_status ? "exited with status " + std::to_string(*c->exit_status)
                      : !c->exit_signal.empty() ? "killed by SIG" + c->exit_signal
                                                : "channel closed without an exit status";
      events.push_back(std::move(e));
      gone = true;
    }
    if (gone) {
      release_channel(*c, /*close_first=*/true);
      it = chans.erase(it);
    } else {
      ++it;
    }
  }
  if (up && !ssh_is_connected(session)) {
    drop_locked(ssh_get_error(session), events);
    return true;
  }
  if (keepalive_locked(events)) return true;
  return activity;
}

bool SshConnection::Impl::keepalive_locked(std::vector<Event>& events) {
  auto now = Clock::now();
  if (up && now - last_rx > opts.keepalive_interval && now - last_keepalive > opts.keepalive_interval) {
    last_keepalive = now;
    // libssh waits for the answer (up to stall_timeout) holding the session (`mu`), never
    // the state callers read (`state_mu`): one that came back sooner is the host heard from.
    keepalive_waiting = true;
    ssh_send_keepalive(session);
    keepalive_waiting = false;
    const auto after = Clock::now();
    if (!ssh_is_connected(session) || (ssh_get_status(session) & (SSH_CLOSED | SSH_CLOSED_ERROR))) {
      drop_locked(std::string("keepalive failed: ") + ssh_get_error(session), events);
      return true;
    }
    if (after - now < opts.stall_timeout - std::chrono::milliseconds(200)) last_rx = after;
    now = after;
  }
  if (up && now - last_rx > opts.stall_timeout) {
    drop_locked("nothing heard from the host for " +
                    std::to_string(std::chrono::duration_cast<std::chrono::seconds>(now - last_rx).count()) +
                    " s (keepalives unanswered)",
                events);
    return true;
  }
  return false;
}

void SshConnection::Impl::io_loop() {
  std::vector<Event> events;
  while (!stop) {
    bool activity;
    int fd = -1;
    {
      std::lock_guard<std::mutex> g(mu);
      activity = pump_locked(events);
      if (up) fd = ssh_get_fd(session);
    }
    ssh::deliver(events);
    if (activity) continue;
    if (fd < 0) reconnect_in_background();
    if (fd >= 0) {
      pollfd p{fd, POLLIN, 0};
      ::poll(&p, 1, 20);
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
}

}  // namespace vmc::host
