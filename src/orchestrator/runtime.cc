#include "orchestrator/runtime.h"

#include <algorithm>
#include <exception>

#include <spdlog/spdlog.h>

#include "orchestrator/drs_steps.h"

namespace vmc::orchestrator {

using namespace std::chrono_literals;
using Kind = JournalRecord::Kind;
using std::chrono::duration_cast;
using std::chrono::milliseconds;

namespace {

// The host refused our host key or login: retrying will not help until the user acts.
bool refused_by_host(const std::string& code) {
  return code.rfind("ssh.hostkey", 0) == 0 || code == "ssh.auth";
}

milliseconds ms_between(model::TimePoint from, model::TimePoint to) {
  return to > from ? duration_cast<milliseconds>(to - from) : 0ms;
}

// Events of one change (reset event, bootTime, new port) arrive this close together.
constexpr milliseconds kBurst{2000};

bool is_trigger(model::VmEventKind k) {
  using K = model::VmEventKind;
  return k == K::Reset || k == K::PoweredOn || k == K::Moved || k == K::PortsChanged ||
         k == K::NicsChanged || k == K::Resynced;
}

}  // namespace

Runtime::Runtime(model::SessionSpec spec, VCenterPort& vcenter, HostConnector& hosts,
                 Clock& clock, Sink& sink, Journal& journal, RuntimeOptions options)
    : spec_(std::move(spec)),
      vcenter_(vcenter),
      hosts_(hosts),
      clock_(clock),
      sink_(sink),
      journal_(journal),
      opt_(options),
      backoff_(options.backoff_initial, options.backoff_max),
      boots_(options.boot_window) {}

Result<SessionSummary> Runtime::run() {
  summary_.session_id = opt_.session_id;
  summary_.name = spec_.name;
  summary_.started = clock_.now();

  // Without a journal a crash could leave captures nobody can find: refuse to start.
  JournalRecord start;
  start.kind = Kind::SessionStart;
  start.at = summary_.started;
  start.session_id = opt_.session_id;
  start.pid = opt_.pid;
  start.name = spec_.name;
  if (auto s = journal_.append(start); !s) {
    summary_.end_reason = EndReason::Error;
    summary_.ended = clock_.now();
    summary_.error = s.error().message;
    (void)sink_.finalize(summary_);
    return s.error().context("cannot start the session without its journal");
  }

  Status outcome;
  try {
    outcome = loop();
  } catch (const std::exception& e) {
    outcome = Error("orchestrator.exception", std::string("unexpected failure: ") + e.what());
  }
  if (!outcome) {
    summary_.end_reason = EndReason::Error;
    errors_.insert(errors_.begin(), outcome.error().message);
  }
  const std::string why = outcome ? to_string(summary_.end_reason)
                                  : "session failed: " + outcome.error().message;
  try {
    teardown(why);
  } catch (const std::exception& e) {
    errors_.push_back(std::string("teardown failed: ") + e.what() +
                      "; run `capture cleanup` to undo what is left");
  }
  summary_.ended = clock_.now();
  for (auto& g : summary_.gaps)
    if (!g.to) g.to = summary_.ended;
  for (size_t i = 0; i < errors_.size(); ++i) summary_.error += (i ? "; " : "") + errors_[i];

  Status finalized = sink_.finalize(summary_);
  JournalRecord end;
  end.kind = Kind::SessionEnd;
  end.at = summary_.ended;
  end.detail = why;
  journal(end);

  if (!outcome) return outcome.error();
  if (!finalized) return finalized.error().context("finalizing the output");
  if (!errors_.empty()) return Error("orchestrator.errors", summary_.error);
  return summary_;
}

Status Runtime::loop() {
  auto first = observe();
  if (!first) return first.error().context("first look at the watched VMs");
  obs_ = std::move(first.value());
  // A VM named by the spec must exist at the start; later it may vanish and come back.
  for (const auto& t : spec_.vms) {
    bool found = std::any_of(obs_.vms.begin(), obs_.vms.end(),
                             [&](const model::VmInfo& v) { return target_matches(t, v); });
    if (!found)
      return Error("orchestrator.vm-not-found",
                   "no watched VM matches '" + t.vm +
                       "'; check the name, path, id or MAC (`capture vm NAME --dry-run` lists "
                       "what vCenter has)");
  }
  for (const auto& vm : obs_.vms) boots_.on_observed(vm);

  while (true) {
    if (auto f = sink_.output_failure())
      return Error("output.write", *f + "; the session stops here, keeping what was written");
    // Connections to every host a VM may move to are made ahead, in the background, so
    // a re-pin after a vMotion does not wait for an SSH handshake.
    for (const auto& h : obs_.hosts) hosts_.prepare(h);
    if (auto r = stop_condition()) {
      summary_.end_reason = *r;
      return {};
    }
    execute(reconcile(spec_, obs_, running_view()), /*final_pass=*/false);
    update_coverage("capture stopped");
    // Health after reconcile: when an event moved a VM, its new capture already runs and
    // the old one is stopped by reconcile, not restarted as "deaf".
    check_health();
    if (auto r = stop_condition()) {
      summary_.end_reason = *r;
      return {};
    }

    auto ev = vcenter_.next_event(wait_time());
    if (!ev) {
      if (!vcenter_failing_since_) vcenter_failing_since_ = clock_.now();
      if (clock_.now() - *vcenter_failing_since_ >= opt_.vcenter_give_up)
        return ev.error().context("vCenter unreachable for too long");
      clock_.sleep_for(opt_.tick);
    } else if (ev.value()) {
      on_event(*ev.value());
      for (int i = 0; i < 256; ++i) {  // take what else is queued, then look once
        auto more = vcenter_.next_event(0ms);
        if (!more || !more.value()) break;
        on_event(*more.value());
      }
    }

    auto o = observe();
    if (o) {
      vcenter_failing_since_.reset();
      obs_ = std::move(o.value());
      // A session of VMs only ends when vCenter no longer has any of them (deleted):
      // nothing it could capture will come back under the same identity.
      if (spec_.uplinks.empty() && !spec_.vms.empty() &&
          std::none_of(spec_.vms.begin(), spec_.vms.end(), [&](const model::VmTarget& t) {
            return std::any_of(obs_.vms.begin(), obs_.vms.end(),
                               [&](const model::VmInfo& v) { return target_matches(t, v); });
          })) {
        comment("every VM of this session was deleted from vCenter (no longer in its "
                "inventory): the session ends");
        summary_.end_reason = EndReason::TargetsGone;
        return {};
      }
      for (const auto& vm : obs_.vms) {
        if (boots_.on_observed(vm)) {
          last_boot_at_ = clock_.now();
          summary_.boots = boots_.total();
        }
      }
    } else {
      if (!vcenter_failing_since_) vcenter_failing_since_ = clock_.now();
      if (clock_.now() - *vcenter_failing_since_ >= opt_.vcenter_give_up)
        return o.error().context("vCenter unreachable for too long");
    }
  }
}

Result<Observation> Runtime::observe() {
  auto vms = vcenter_.watched_vms();
  if (!vms) return vms.error();
  auto hosts = vcenter_.hosts();
  if (!hosts) return hosts.error();
  Observation o;
  o.at = clock_.now();
  o.vms = std::move(vms.value());
  o.hosts = std::move(hosts.value());
  std::map<std::string, std::vector<model::PortInfo>> api_ports;
  for (const auto& target : spec_.vms) {
    for (const auto& vm : o.vms) {
      if (!target_matches(target, vm) || vm.power != model::PowerState::On) continue;
      const model::HostInfo* host = o.host(vm.host);
      if (host == nullptr) continue;
      bool settling = settle_until_.count(vm.ref) && o.at < settle_until_[vm.ref];
      for (const auto& nic : selected_nics(target, vm)) {
        const std::pair<std::string, std::string> key{host->ref.value, normalize_mac(nic.mac)};
        if (o.ports.count(key)) continue;
        auto cached = port_cache_.find(key);
        if (!settling && cached != port_cache_.end() &&
            o.at - cached->second.resolved_at < opt_.resync) {
          o.ports[key] = cached->second.port;
          continue;
        }
        o.ports[key] = resolve(*host, key.second, api_ports);
      }
    }
  }
  return o;
}

NicPort Runtime::resolve(const model::HostInfo& host, const std::string& mac,
                         std::map<std::string, std::vector<model::PortInfo>>& api_ports) {
  const auto now = clock_.now();
  const std::pair<std::string, std::string> key{host.ref.value, mac};
  auto known = [&](int64_t id) {
    NicPort p{NicPort::State::Known, id};
    port_cache_[key] = CachedPort{p, now};
    port_first_seen_.emplace(std::make_pair(key.first + "|" + mac, std::to_string(id)), now);
    return p;
  };
  if (!api_ports.count(host.ref.value)) {
    auto listed = vcenter_.host_ports(host.ref);
    api_ports[host.ref.value] = listed ? std::move(listed.value()) : std::vector<model::PortInfo>{};
  }
  for (const auto& p : api_ports[host.ref.value])
    if (normalize_mac(p.mac) == mac && p.port_id > 0) return known(p.port_id);

  port_cache_.erase(key);
  if (!backoff_.ready(host_key(host.ref), now)) return NicPort{NicPort::State::Unresolved, 0};
  auto hp = hosts_.connect(host);
  if (!hp) {
    host_unavailable(host, hp.error());
    return NicPort{NicPort::State::Unresolved, 0};
  }
  auto port = hp.value()->resolve_port(mac);
  if (!port) {
    auto wait = backoff_.failed(host_key(host.ref), now);
    comment(port.error().context(host.name + ": finding the port of " + mac).message +
            "; retrying in " + std::to_string(wait.count()) + " ms");
    return NicPort{NicPort::State::Unresolved, 0};
  }
  if (!port.value()) return NicPort{NicPort::State::Absent, 0};
  return known(*port.value());
}

Running Runtime::running_view() const {
  Running r;
  for (const auto& p : running_) r.pins.push_back(p.pin);
  for (const auto& d : drs_) r.overrides.push_back(d.held);
  return r;
}

void Runtime::execute(const std::vector<Action>& actions, bool final_pass) {
  std::set<std::string> comments;
  std::set<model::MoRef> touched;
  for (const auto& a : actions) {
    if (!a.vm.empty() && a.kind != ActionKind::Comment) touched.insert(a.vm);
    switch (a.kind) {
      case ActionKind::Comment:
        comments.insert(a.reason);
        if (!last_comments_.count(a.reason)) comment(a.reason);
        break;
      case ActionKind::SetOverride:
        set_override(a);
        break;
      case ActionKind::StartPin:
      case ActionKind::StartBridge:
        start_pin(a);
        break;
      case ActionKind::StopPin:
      case ActionKind::StopBridge:
        stop_pin(a, final_pass);
        break;
      case ActionKind::RestoreOverride:
        restore(a);
        break;
    }
  }
  last_comments_ = std::move(comments);
  for (const auto& vm : touched) last_event_.erase(vm);
}

std::string Runtime::event_reason(const model::MoRef& vm) const {
  auto it = last_event_.find(vm);
  return it == last_event_.end() ? "" : " after " + it->second;
}

void Runtime::start_pin(const Action& a) {
  const Pin& pin = a.pin;
  const model::HostInfo* host = obs_.host(pin.host);
  if (host == nullptr) return;
  const std::string hk = host_key(pin.host);
  if (!backoff_.ready(hk, clock_.now()) || !backoff_.ready("pin:" + pin.key(), clock_.now()))
    return;
  auto hp = hosts_.connect(*host);
  if (!hp) {
    host_unavailable(*host, hp.error());
    return;
  }
  CaptureRequest req;
  req.pin = pin;
  req.filter = spec_.filter;
  if (pin.kind == PinKind::Bridge) req.filter.mac = pin.mac;
  req.capture_point = spec_.capture_point;
  req.stage = spec_.stage;
  req.snaplen = spec_.output.snaplen;
  auto handle = hp.value()->start_capture(req, sink_);
  if (!handle && (handle.error().code == "ssh.disconnected" || refused_by_host(handle.error().code))) {
    host_unavailable(*host, handle.error());
    return;
  }
  if (!handle) {
    auto wait = backoff_.failed(hk, clock_.now());
    comment(handle.error().context(host->name + ": starting " + pin.name()).message +
            "; retrying in " + std::to_string(wait.count()) + " ms");
    return;
  }
  backoff_.succeeded(hk);
  if (host_waits_.erase(hk)) comment(host->name + " answers again");
  kill_orphans(*host, *hp.value());
  const auto now = clock_.now();

  auto started = process_record(Kind::ProcessStarted, now, *host, handle.value().pid, pin.key(), pin.name());
  started.remote_file = handle.value().remote_file;
  journal(started);

  std::string reason = a.reason + event_reason(pin.vm);
  summary_.pins.push_back(PinSpan{pin, handle.value().pid, now, std::nullopt, reason, ""});
  running_.push_back(RunningPin{pin, hp.value(), handle.value(), *host, summary_.pins.size() - 1});
  if (pin.kind == PinKind::VmPort) note_port_pin(pin, now, reason);
  summary_.pins.back().start_reason = reason;
  sink_.pin_opened(pin, now, reason);
}

void Runtime::host_unavailable(const model::HostInfo& host, const Error& e) {
  const std::string hk = host_key(host.ref);
  const std::string text = e.context(host.name).message;
  // Lost, being reconnected in the background (ssh.disconnected), or its first
  // connection still being made (ssh.connecting): try again at every pass, so the
  // capture starts as soon as the host answers; say so once.
  if (e.code == "ssh.disconnected" || e.code == "ssh.connecting") {
    if (host_waits_.insert(hk).second)
      comment(text + (e.code == "ssh.connecting" ? "; capturing as soon as it answers"
                                                 : "; capturing again as soon as it answers"));
    return;
  }
  auto wait = backoff_.failed(hk, clock_.now());
  // A refused host key or login needs the user: an error on stderr, once per host.
  if (refused_by_host(e.code) && refused_hosts_.insert(hk).second) {
    spdlog::error("{}", text);
    errors_.push_back(text);
  }
  comment(text + "; retrying in " + std::to_string(wait.count()) + " ms");
}

void Runtime::kill_orphans(const model::HostInfo& host, HostPort& hp) {
  auto it = orphans_.find(host.ref.value);
  if (it == orphans_.end()) return;
  std::vector<Orphan> left;
  for (const auto& o : it->second) {
    auto st = hp.kill_leftover(o.pid);
    if (!st) {
      left.push_back(o);
      comment(host.name + ": pktcap-uw PID " + std::to_string(o.pid) + " (" + o.pin_name +
              ", cut off when the connection was lost) could not be stopped yet: " +
              st.error().message);
      continue;
    }
    journal(process_record(Kind::ProcessStopped, clock_.now(), host, o.pid, o.pin_key, o.pin_name,
                           "stopped after the connection to " + host.name + " came back"));
    comment(host.name + ": stopped pktcap-uw PID " + std::to_string(o.pid) + " (" + o.pin_name +
            "), cut off when the connection was lost");
  }
  if (left.empty()) orphans_.erase(it);
  else it->second = std::move(left);
}

void Runtime::note_port_pin(const Pin& pin, model::TimePoint now, std::string& reason) {
  // Re-pin bookkeeping: a NIC pinned before gets a port capture again.
  const std::pair<std::string, std::string> nic{pin.vm.value, pin.mac};
  const std::string where = pin.host.value + "|" + std::to_string(pin.port_id);
  const bool restart = restarting_.erase(pin.key()) != 0;
  auto last = last_pins_.find(nic);
  const bool other_port_pin_runs =
      std::any_of(running_.begin(), running_.end() - 1, [&](const RunningPin& p) {
        return p.pin.kind == PinKind::VmPort && p.pin.vm == pin.vm && p.pin.mac == pin.mac &&
               p.pin.host == pin.host && p.pin.port_id == pin.port_id;
      });
  if (last != last_pins_.end() && !restart && !other_port_pin_runs &&
      (last->second.first != where || !nic_had_port_pin(nic))) {
    Repin rp;
    rp.vm_name = pin.vm_name;
    rp.mac = pin.mac;
    rp.from = last->second.second;
    rp.to = pin.name();
    auto t = trigger_.find(pin.vm);
    if (t != trigger_.end() && ms_between(t->second.at, now) <= opt_.settle) {
      rp.trigger = std::string(model::to_string(t->second.kind)) + " (" + t->second.source + ")";
      rp.since_event = ms_between(t->second.at, now);
    }
    auto seen = port_first_seen_.find({pin.host.value + "|" + pin.mac, std::to_string(pin.port_id)});
    rp.since_port_seen = seen == port_first_seen_.end() ? 0ms : ms_between(seen->second, now);
    // The reconciler saw no old pin when the NIC had none running (power cycle).
    if (reason.rfind("capture ", 0) == 0) {
      reason = "re-pin " + pin.vm_name + " " + pin.mac + " from";
      for (const auto& n : rp.from) reason += " " + n;
      reason += event_reason(pin.vm);
    }
    summary_.repins.push_back(rp);
    trigger_.erase(pin.vm);
  }
  if (last == last_pins_.end() || last->second.first != where || !other_port_pin_runs)
    last_pins_[nic] = {where, {pin.name()}};
  else
    last_pins_[nic].second.push_back(pin.name());
}

bool Runtime::nic_had_port_pin(const std::pair<std::string, std::string>& nic) const {
  // Running port pins other than the one just added (the last element).
  for (size_t i = 0; i + 1 < running_.size(); ++i) {
    const Pin& p = running_[i].pin;
    if (p.kind == PinKind::VmPort && p.vm.value == nic.first && p.mac == nic.second) return true;
  }
  return false;
}

bool Runtime::stop_pin(const Action& a, bool final_pass) {
  auto it = std::find_if(running_.begin(), running_.end(),
                         [&](const RunningPin& p) { return p.pin.key() == a.pin.key(); });
  if (it == running_.end()) return true;
  const std::string hk = host_key(it->pin.host);
  if (!final_pass && !backoff_.ready(hk, clock_.now())) return false;
  if (auto s = it->host->stop_capture(it->handle); !s) {
    auto wait = backoff_.failed(hk, clock_.now());
    comment(s.error().context(it->host_info.name + ": stopping " + it->pin.name()).message +
            (final_pass ? "" : "; retrying in " + std::to_string(wait.count()) + " ms"));
    return false;
  }
  const auto now = clock_.now();
  journal(process_record(Kind::ProcessStopped, now, it->host_info, it->handle.pid, it->pin.key(),
                         it->pin.name(), a.reason));
  const std::string reason = a.reason + event_reason(it->pin.vm);
  summary_.pins[it->span].end = now;
  summary_.pins[it->span].end_reason = reason;
  if (it->pin.kind != PinKind::Uplink) stop_reasons_[{it->pin.vm.value, it->pin.mac}] = reason;
  Pin pin = it->pin;
  running_.erase(it);
  sink_.pin_closed(pin, now, reason);
  return true;
}

void Runtime::set_override(const Action& a) {
  HeldDrs held{HeldOverride{a.cluster, a.vm, a.vm_name}, std::nullopt, std::nullopt};
  DrsChange change;
  change.cluster = a.cluster;
  change.vm = a.vm;
  change.action = "set";
  const std::string what = "DRS override of " + a.vm_name + " in " + a.cluster.value;
  auto refuse = [&](const Error& e) {
    change.ok = false;
    change.message = e.message;
    comment(what + " not set: " + e.message +
            "; capturing goes on and follows DRS moves");
    drs_.push_back(held);
    summary_.drs.push_back(change);
  };
  auto current = vcenter_.get_override(a.cluster, a.vm);
  if (!current) return refuse(current.error());
  held.previous = current.value();
  change.previous = current.value();
  const model::DrsVmOverride want = session_override(a.vm, spec_.drs.behavior);
  if (current.value() && current.value()->behavior == want.behavior) {
    change.message = what + " already '" + want.behavior + "'; left as it is";
    drs_.push_back(held);
    summary_.drs.push_back(change);
    return;
  }
  JournalRecord r;
  r.kind = Kind::OverrideSet;
  r.at = clock_.now();
  r.cluster = a.cluster;
  r.vm = a.vm;
  r.previous = held.previous;
  r.applied = want;
  if (auto s = journal_.append(r); !s)  // unrecorded, it could not be undone after a crash
    return refuse(s.error());
  if (auto s = vcenter_.set_override(a.cluster, want); !s) {
    r.kind = JournalRecord::Kind::OverrideFailed;
    r.detail = s.error().message;
    journal(r);
    return refuse(s.error());
  }
  held.applied = want;
  change.applied = want;
  change.message = what + " set to '" + want.behavior + "' (was " +
                   (held.previous ? "'" + held.previous->behavior + "'" : std::string("none")) + ")";
  comment(change.message);
  drs_.push_back(held);
  summary_.drs.push_back(change);
}

bool Runtime::restore(const Action& a) {
  auto it = std::find_if(drs_.begin(), drs_.end(), [&](const HeldDrs& d) {
    return d.held.cluster == a.cluster && d.held.vm == a.vm;
  });
  if (it == drs_.end()) return true;
  if (!it->applied) {
    drs_.erase(it);
    return true;
  }
  DrsChange change;
  change.cluster = a.cluster;
  change.vm = a.vm;
  change.action = "restore";
  change.previous = it->previous;
  change.applied = it->applied;
  auto done = restore_override(vcenter_, a.cluster, a.vm, it->previous, *it->applied);
  if (!done) {
    change.ok = false;
    change.message = done.error().message;
    summary_.drs.push_back(change);
    comment(done.error().message);
    return false;
  }
  change.message = done.value();
  summary_.drs.push_back(change);
  JournalRecord r;
  r.kind = Kind::OverrideRestored;
  r.at = clock_.now();
  r.cluster = a.cluster;
  r.vm = a.vm;
  r.previous = it->previous;
  r.applied = it->applied;
  r.detail = done.value();
  journal(r);
  comment(done.value());
  drs_.erase(it);
  return true;
}

void Runtime::check_health() {
  for (size_t i = 0; i < running_.size();) {
    RunningPin& p = running_[i];
    CaptureStatus st = p.host->status(p.handle);
    if (st.health == CaptureStatus::Health::Running) {
      // Healthy long enough: a later death restarts it without waiting.
      if (clock_.now() - summary_.pins[p.span].start >= opt_.backoff_max)
        backoff_.succeeded("pin:" + p.pin.key());
      ++i;
      continue;
    }
    const bool deaf = st.health == CaptureStatus::Health::Deaf;
    const std::string text = p.pin.name() + (deaf ? " capture went deaf" : " capture ended") +
                             (st.detail.empty() ? "" : ": " + st.detail) + "; restarting";
    if (deaf) {
      (void)p.host->stop_capture(p.handle);
      port_cache_.erase({p.pin.host.value, p.pin.mac});
      settle_until_[p.pin.vm] = clock_.now() + opt_.settle;
    }
    const auto now = clock_.now();
    // Lost with its host: nothing arrived since the host was last heard from, and the
    // process may still run there; it is killed once the host answers again (until
    // then the journal keeps it as running, for `capture cleanup`).
    const auto lost_at = st.since && *st.since < now ? *st.since : now;
    if (st.host_lost) {
      orphans_[p.host_info.ref.value].push_back(
          Orphan{p.handle.pid, p.pin.key(), p.pin.name(), p.host_info});
    } else {
      journal(process_record(Kind::ProcessStopped, now, p.host_info, p.handle.pid, p.pin.key(),
                             p.pin.name(), text));
    }
    summary_.pins[p.span].end = lost_at;
    summary_.pins[p.span].end_reason = text;
    ++summary_.restarts;
    restarting_.insert(p.pin.key());
    backoff_.failed("pin:" + p.pin.key(), now);  // a capture that keeps dying is not hammered
    if (p.pin.kind != PinKind::Uplink) {
      stop_reasons_[{p.pin.vm.value, p.pin.mac}] = text;
      gap_from_[{p.pin.vm.value, p.pin.mac}] = lost_at;
      if (st.still_recording) recording_on_host_[{p.pin.vm.value, p.pin.mac}] = p.pin.key();
    }
    Pin pin = p.pin;
    running_.erase(running_.begin() + static_cast<std::ptrdiff_t>(i));
    sink_.pin_closed(pin, now, text);
    comment(text);
  }
  update_coverage("capture ended");
}

void Runtime::update_coverage(const std::string& why) {
  const auto now = clock_.now();
  std::map<std::pair<std::string, std::string>, std::pair<model::MoRef, std::string>> covered;
  for (const auto& p : running_)
    if (p.pin.kind != PinKind::Uplink)
      covered[{p.pin.vm.value, p.pin.mac}] = {p.pin.vm, p.pin.vm_name};
  // A capture cut off from us but still recording on its host covers its NIC until the
  // NIC's next capture runs (its frames come when its file is fetched).
  for (auto it = recording_on_host_.begin(); it != recording_on_host_.end();) {
    const bool restarted = std::any_of(running_.begin(), running_.end(), [&](const RunningPin& p) {
      return p.pin.kind != PinKind::Uplink && p.pin.vm.value == it->first.first && p.pin.mac == it->first.second;
    });
    const bool vm_left = !std::any_of(obs_.vms.begin(), obs_.vms.end(),
                                      [&](const model::VmInfo& v) { return v.ref.value == it->first.first; });
    if (restarted || vm_left) {
      it = recording_on_host_.erase(it);
      continue;
    }
    if (auto c = covered_.find(it->first); c != covered_.end()) covered[it->first] = c->second;
    ++it;
  }
  for (const auto& [nic, who] : covered_) {
    if (covered.count(nic) || open_gaps_.count(nic)) continue;
    auto reason = stop_reasons_.count(nic) ? stop_reasons_[nic] : why;
    const auto from = gap_from_.count(nic) ? gap_from_[nic] : now;
    summary_.gaps.push_back(Gap{who.first, who.second, nic.second, from, std::nullopt, reason});
    open_gaps_[nic] = summary_.gaps.size() - 1;
    comment("gap begins: nothing captures " + who.second + " " + nic.second + " (" + reason + ")");
  }
  for (auto it = open_gaps_.begin(); it != open_gaps_.end();) {
    if (!covered.count(it->first)) {
      ++it;
      continue;
    }
    Gap& g = summary_.gaps[it->second];
    g.to = now;
    comment("gap ends: " + g.vm_name + " " + g.mac + " captured again after " +
            std::to_string(ms_between(g.from, now).count()) + " ms");
    it = open_gaps_.erase(it);
  }
  stop_reasons_.clear();
  gap_from_.clear();
  covered_ = std::move(covered);
}

void Runtime::on_event(const model::VmEvent& e) {
  const auto now = clock_.now();
  summary_.events.push_back(e);
  if (boots_.on_event(e)) {
    last_boot_at_ = now;
    summary_.boots = boots_.total();
  }
  std::string who = e.vm_name.empty() ? e.vm.value : e.vm_name;
  std::string text = std::string(model::to_string(e.kind)) + " (" + e.source + ")";
  if (e.kind == model::VmEventKind::Moved)
    text += " from " + e.from_host.value + " to " + e.to_host.value;
  comment(who + ": " + text + (e.detail.empty() ? "" : ": " + e.detail));
  if (e.kind == model::VmEventKind::GuestRebooted) return;  // same VM process, same port

  std::vector<model::MoRef> vms;
  if (e.kind == model::VmEventKind::Resynced || e.vm.empty()) {
    for (const auto& v : obs_.vms) vms.push_back(v.ref);
    port_cache_.clear();
  } else {
    vms.push_back(e.vm);
  }
  for (const auto& vm : vms) {
    last_event_[vm] = text;
    settle_until_[vm] = now + opt_.settle;
    // The first event of a burst is the trigger of the re-pin that follows; an older
    // trigger that led to no re-pin (the start-up port listing) is replaced.
    auto t = trigger_.find(vm);
    if (is_trigger(e.kind) && (t == trigger_.end() || ms_between(t->second.at, e.at) > kBurst))
      trigger_[vm] = e;
  }
}

std::optional<EndReason> Runtime::stop_condition() {
  if (stop_requested_ || (opt_.stop_flag != nullptr && opt_.stop_flag->load()))
    return EndReason::Requested;
  const auto now = clock_.now();
  const auto& stop = spec_.stop;
  if (stop.duration && now - summary_.started >= *stop.duration) return EndReason::Duration;
  if (stop.packets || stop.bytes) {
    SinkTotals t = sink_.totals();
    if (stop.packets && t.frames >= *stop.packets) return EndReason::Packets;
    if (stop.bytes && t.bytes >= *stop.bytes) return EndReason::Bytes;
  }
  if (stop.boots && boots_.total() >= *stop.boots && last_boot_at_ &&
      now - *last_boot_at_ >= opt_.boots_grace)
    return EndReason::Boots;
  return std::nullopt;
}

milliseconds Runtime::wait_time() {
  const auto now = clock_.now();
  milliseconds wait = opt_.tick;
  if (spec_.stop.duration)
    wait = std::min(wait, ms_between(now, summary_.started + *spec_.stop.duration));
  if (spec_.stop.boots && boots_.total() >= *spec_.stop.boots && last_boot_at_)
    wait = std::min(wait, ms_between(now, *last_boot_at_ + opt_.boots_grace));
  return wait;
}

void Runtime::teardown(const std::string& reason) {
  for (int attempt = 0; attempt < std::max(1, opt_.teardown_attempts); ++attempt) {
    auto actions = orchestrator::teardown(running_view(), reason);
    if (actions.empty()) break;
    if (attempt > 0) clock_.sleep_for(util::Backoff(opt_.backoff_initial, opt_.backoff_max).delay_for(attempt - 1));
    execute(actions, /*final_pass=*/true);
  }
  // Captures cut off by a lost connection: one try each (the host may be back).
  for (auto it = orphans_.begin(); it != orphans_.end();) {
    const auto host_ref = it->first;
    const model::HostInfo host = it->second.front().host;
    if (auto hp = hosts_.connect(host)) kill_orphans(host, *hp.value());
    it = orphans_.find(host_ref);
    if (it == orphans_.end()) continue;
    for (const auto& o : it->second)
      errors_.push_back("could not stop pktcap-uw " + std::to_string(o.pid) + " on " +
                        host.name + " (" + o.pin_name +
                        ", cut off when its connection was lost); run `capture cleanup` to stop it");
    it = orphans_.erase(it);
  }
  // The end of the session is not a gap: open gaps close at `ended` in run().
  for (const auto& p : running_)
    errors_.push_back("could not stop pktcap-uw " + std::to_string(p.handle.pid) + " on " +
                      p.host_info.name + " (" + p.pin.name() +
                      "); run `capture cleanup` to stop it");
  for (const auto& d : drs_)
    if (d.applied)
      errors_.push_back("could not restore the DRS override of " + d.held.vm_name + " in " +
                        d.held.cluster.value + "; run `capture cleanup` to restore it");
}

void Runtime::comment(const std::string& text) {
  spdlog::info("{}", text);
  sink_.comment(clock_.now(), text);
}

void Runtime::journal(JournalRecord r) {
  if (auto s = journal_.append(r); !s)
    comment(s.error().message + "; a later `capture cleanup` may not know about this step");
}

}  // namespace vmc::orchestrator
