#include "orchestrator/captures.h"

#include <algorithm>

#include "orchestrator/host_access.h"
#include "orchestrator/observer.h"
#include "orchestrator/runtime_options.h"
#include "orchestrator/session_record.h"

namespace vmc::orchestrator {

using namespace std::chrono_literals;
using Kind = JournalRecord::Kind;

Captures::Captures(const model::SessionSpec& spec, const RuntimeOptions& opt, HostAccess& hosts,
                   Observer& observer, SessionRecord& record)
    : spec_(spec), opt_(opt), hosts_(hosts), observer_(observer), record_(record),
      pin_backoff_(opt.backoff_initial, opt.backoff_max) {}

std::vector<Pin> Captures::pins() const {
  std::vector<Pin> out;
  for (const auto& r : running_) out.push_back(r.pin);
  return out;
}

void Captures::start(const Action& a) {
  const Pin& pin = a.pin;
  const model::HostInfo* host = observer_.seen().host(pin.host);
  if (host == nullptr) return;
  if (!hosts_.ready(*host) || !pin_backoff_.ready(pin.key(), record_.now())) return;
  HostControl* hp = hosts_.connect(*host);
  if (hp == nullptr) return;
  CaptureRequest req;
  req.pin = pin;
  req.filter = spec_.filter;
  if (pin.kind == PinKind::Bridge) req.filter.mac = pin.mac.str();
  req.capture_point = spec_.capture_point;
  req.stage = spec_.stage;
  req.snaplen = spec_.output.snaplen;
  auto handle = hp->start_capture(req, record_.sink());
  if (!handle && hosts_.unavailable(*host, handle.error())) return;
  if (!handle) {
    const std::string retry = hosts_.failed(*host);
    record_.comment(handle.error().context(host->name + ": starting " + pin.name()).message + retry);
    return;
  }
  hosts_.answered(*host);
  kill_orphans(*host, *hp);
  const auto now = record_.now();

  auto started = process_record(Kind::ProcessStarted, now, *host, handle.value().pid, pin.key(), pin.name());
  started.remote_file = handle.value().remote_file;
  record_.journal(started);

  auto& summary = record_.summary();
  std::string reason = a.reason + observer_.events().after(pin.vm);
  summary.pins.push_back(PinSpan{pin, handle.value().pid, now, std::nullopt, reason, ""});
  running_.push_back(Running{pin, hp, handle.value(), *host, summary.pins.size() - 1});
  if (pin.kind == PinKind::VmPort) note_port_pin(a, now, reason);
  summary.pins.back().start_reason = reason;
  record_.sink().pin_opened(pin, now, reason);
}

void Captures::kill_orphans(const model::HostInfo& host, HostControl& hp) {
  orphans_.kill(host.ref, hp, [&](const Orphan& o, const Status& st) {
    const std::string what = "pktcap-uw PID " + std::to_string(o.pid) + " (" + o.pin_name;
    if (!st) {
      record_.comment(host.name + ": " + what + ", cut off when the connection was lost) could not be stopped yet: " +
                      st.error().message);
      return;
    }
    record_.journal(process_record(Kind::ProcessStopped, record_.now(), host, o.pid, o.pin_key, o.pin_name,
                                   "stopped after the connection to " + host.name + " came back"));
    record_.comment(host.name + ": stopped " + what + "), cut off when the connection was lost");
  });
}

void Captures::note_port_pin(const Action& a, model::TimePoint now, std::string& reason) {
  const Pin& pin = a.pin;
  std::vector<Pin> others;
  for (size_t i = 0; i + 1 < running_.size(); ++i) others.push_back(running_[i].pin);
  auto from = repins_.port_pin_started(pin, others);
  if (!from) return;
  Repin rp;
  rp.vm_name = pin.vm_name;
  rp.mac = pin.mac.str();
  rp.from = *from;
  rp.to = pin.name();
  auto& events = observer_.events();
  if (auto t = events.trigger(pin.vm, now)) {
    rp.trigger = std::string(model::to_string(t->kind)) + " (" + t->source + ")";
    rp.since_event = ms_between(t->at, now);
  }
  auto seen = observer_.ports().first_seen(HostMac{pin.host, pin.mac}, pin.port_id);
  rp.since_port_seen = seen ? ms_between(*seen, now) : 0ms;
  // The reconciler saw no old pin when the NIC had none running (power cycle).
  if (a.repin_from.empty()) reason = start_reason(pin, rp.from) + events.after(pin.vm);
  record_.summary().repins.push_back(rp);
  events.trigger_used(pin.vm);
}

bool Captures::stop(const Action& a, bool final_pass) {
  auto it = std::find_if(running_.begin(), running_.end(),
                         [&](const Running& p) { return p.pin.key() == a.pin.key(); });
  if (it == running_.end()) return true;
  const model::HostInfo& host = it->host_info;
  if (!final_pass && !hosts_.ready(host)) return false;
  if (auto s = it->host->stop_capture(it->handle); !s) {
    const std::string retry = hosts_.failed(host);
    record_.comment(s.error().context(host.name + ": stopping " + it->pin.name()).message +
                    (final_pass ? "" : retry));
    return false;
  }
  const auto now = record_.now();
  record_.journal(process_record(Kind::ProcessStopped, now, host, it->handle.pid, it->pin.key(),
                                 it->pin.name(), a.reason));
  const std::string reason = a.reason + observer_.events().after(it->pin.vm);
  auto& span = record_.summary().pins[it->span];
  span.end = now;
  span.end_reason = reason;
  if (it->pin.kind != PinKind::Uplink) coverage_.stopped(it->pin.nic(), reason);
  Pin pin = it->pin;
  running_.erase(it);
  record_.sink().pin_closed(pin, now, reason);
  return true;
}

void Captures::check_health() {
  auto& summary = record_.summary();
  for (size_t i = 0; i < running_.size();) {
    Running& p = running_[i];
    CaptureStatus st = p.host->status(p.handle);
    if (st.health == CaptureStatus::Health::Running) {
      // Healthy long enough: a later death restarts it without waiting.
      if (record_.now() - summary.pins[p.span].start >= opt_.backoff_max)
        pin_backoff_.succeeded(p.pin.key());
      ++i;
      continue;
    }
    const bool deaf = st.health == CaptureStatus::Health::Deaf;
    const std::string text = p.pin.name() + (deaf ? " capture went deaf" : " capture ended") +
                             (st.detail.empty() ? "" : ": " + st.detail) + "; restarting";
    if (deaf) {
      (void)p.host->stop_capture(p.handle);
      observer_.ports().forget(HostMac{p.pin.host, p.pin.mac});
      observer_.events().settle(p.pin.vm, record_.now());
    }
    const auto now = record_.now();
    // Lost with its host: nothing arrived since the host was last heard from, and the
    // process may still run there; it is killed once the host answers again (until
    // then the journal keeps it as running, for `capture cleanup`).
    const auto lost_at = st.since && *st.since < now ? *st.since : now;
    if (st.host_lost) {
      orphans_.add(Orphan{p.handle.pid, p.pin.key(), p.pin.name(), p.host_info});
    } else {
      record_.journal(process_record(Kind::ProcessStopped, now, p.host_info, p.handle.pid, p.pin.key(),
                                     p.pin.name(), text));
    }
    summary.pins[p.span].end = lost_at;
    summary.pins[p.span].end_reason = text;
    ++summary.restarts;
    repins_.restarting(p.pin.key());
    pin_backoff_.failed(p.pin.key(), now);
    if (p.pin.kind != PinKind::Uplink) coverage_.ended(p.pin.nic(), text, lost_at, st.still_recording);
    Pin pin = p.pin;
    running_.erase(running_.begin() + static_cast<std::ptrdiff_t>(i));
    record_.sink().pin_closed(pin, now, text);
    record_.comment(text);
  }
  update_coverage("capture ended");
}

void Captures::update_coverage(const std::string& why) {
  for (const auto& text : coverage_.update(pins(), observer_.seen().vms, why, record_.now(),
                                           record_.summary().gaps))
    record_.comment(text);
}

void Captures::give_up_on_leftovers() {
  // Captures cut off by a lost connection: one try each (the host may be back).
  for (const auto& host : orphans_.hosts())
    if (HostControl* hp = hosts_.connect_quietly(host)) kill_orphans(host, *hp);
  for (const auto& o : orphans_.take_all())
    record_.error("could not stop pktcap-uw " + std::to_string(o.pid) + " on " + o.host.name + " (" +
                  o.pin_name + ", cut off when its connection was lost); run `capture cleanup` to stop it");
  // The end of the session is not a gap: open gaps close at its end.
  for (const auto& p : running_)
    record_.error("could not stop pktcap-uw " + std::to_string(p.handle.pid) + " on " + p.host_info.name +
                  " (" + p.pin.name() + "); run `capture cleanup` to stop it");
}

}  // namespace vmc::orchestrator
