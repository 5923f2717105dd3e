#include "session/output_sink.h"

#include <chrono>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace vmc::session {

using orchestrator::Pin;
using orchestrator::PinKind;

int64_t to_ns(model::TimePoint t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

namespace {

int64_t now_ns() { return to_ns(std::chrono::system_clock::now()); }

}  // namespace

Result<std::unique_ptr<OutputSink>> OutputSink::open(capture::SessionOutputOptions options,
                                                     bool correct_host_clocks) {
  auto out = capture::SessionOutput::open(std::move(options), now_ns());
  if (!out.ok()) return out.error();
  return std::unique_ptr<OutputSink>(new OutputSink(std::move(*out), correct_host_clocks));
}

OutputSink::OutputSink(std::unique_ptr<capture::SessionOutput> out, bool correct_host_clocks)
    : out_(std::move(out)), correct_host_clocks_(correct_host_clocks) {
  ticker_ = std::thread([this] { ticker(); });
}

OutputSink::~OutputSink() {
  stop_ = true;
  cv_.notify_all();
  if (ticker_.joinable()) ticker_.join();
}

void OutputSink::ticker() {
  std::unique_lock lk(mu_);
  int n = 0;
  while (!stop_) {
    cv_.wait_for(lk, std::chrono::milliseconds(100));
    if (stop_ || finalized_) continue;
    if (output_failure_) continue;  // nothing more can be written; the session ends
    write_failed(out_->tick(now_ns()));
    // Once a second the file gets what was written, so a killed session's file keeps it.
    if (++n % 10 == 0) write_failed(out_->flush());
  }
}

capture::PinInfo OutputSink::info_for(const Pin& pin, model::Direction d) {
  capture::PinInfo i;
  i.host = pin.host_name.empty() ? pin.host.value : pin.host_name;
  i.port = pin.kind == PinKind::VmPort ? std::to_string(pin.port_id) : pin.uplink;
  if (pin.kind == PinKind::Bridge) i.port += "-bridge";
  i.direction = d;
  i.vm = pin.vm_name;
  i.nic_label = pin.nic_label;
  i.mac = pin.mac.str();
  return i;
}

std::map<model::Direction, uint32_t>& OutputSink::ensure_pin(const Pin& pin, model::TimePoint at) {
  auto& dirs = ifaces_[pin.key()];
  if (!dirs.empty()) return dirs;
  std::vector<model::Direction> wanted;
  if (pin.dir == model::Direction::Both && pin.kind != PinKind::Uplink) {
    wanted = {model::Direction::In, model::Direction::Out};
  } else {
    wanted = {pin.dir};
  }
  for (auto d : wanted) {
    auto id = out_->add_pin(info_for(pin, d), to_ns(at));
    if (!id.ok()) {
      errors_.push_back(id.error().message);
      continue;
    }
    dirs[d] = *id;
  }
  return dirs;
}

void OutputSink::pin_opened(const Pin& pin, model::TimePoint at, const std::string& reason) {
  std::lock_guard lk(mu_);
  if (finalized_) return;
  ensure_pin(pin, at);
  out_->event(capture::ManifestEvent{to_ns(at), "pin-opened", pin.name() + ": " + reason});
}

void OutputSink::capture_dropped(const Pin& pin, uint64_t dropped) {
  if (dropped > 0)
    spdlog::warn("{}: pktcap-uw dropped {} frame(s) on the host (it could not keep up)",
                 pin.name(), dropped);
  std::lock_guard lk(mu_);
  dropped_[pin.key()] += dropped;
}

void OutputSink::pin_closed(const Pin& pin, model::TimePoint at, const std::string& reason) {
  std::lock_guard lk(mu_);
  if (finalized_) return;
  auto it = ifaces_.find(pin.key());
  if (it == ifaces_.end()) return;
  // pktcap-uw counts per process: a --dir 2 capture's count goes on its first interface.
  std::optional<uint64_t> dropped;
  if (auto d = dropped_.find(pin.key()); d != dropped_.end()) {
    dropped = d->second;
    dropped_.erase(d);
  }
  for (auto& [d, id] : it->second) {
    auto st = out_->end_pin(id, reason, dropped, to_ns(at));
    if (!st.ok()) errors_.push_back(st.error().message);
    dropped.reset();
  }
  ifaces_.erase(it);
}

void OutputSink::frame(const Pin& pin, const orchestrator::CapturedFrame& f) {
  std::lock_guard lk(mu_);
  if (finalized_) return;
  const auto now = std::chrono::system_clock::now();
  auto& dirs = ensure_pin(pin, now);
  auto d = dirs.find(f.dir);
  if (d == dirs.end()) d = dirs.begin();
  if (d == dirs.end()) return;
  capture::FrameView v{f.ts_ns, f.orig_len, f.data};
  if (output_failure_) return;
  // A host whose clock is seconds off would put its frames out of time order beside the
  // other hosts': its frames are moved onto this machine's time line, and the manifest
  // says so once.
  const int64_t arrival = to_ns(now);
  const std::string& host = pin.host_name.empty() ? pin.host.value : pin.host_name;
  if (correct_host_clocks_) {
    auto& clock = clocks_[host];
    const int64_t before = clock.correction_ns();
    v.ts_ns += clock.observe(f.ts_ns, arrival);
    if (before == 0 && clock.correction_ns() != 0) {
      const double s = static_cast<double>(clock.correction_ns()) / 1e9;
      out_->event(capture::ManifestEvent{
          arrival, "comment",
          fmt::format("{}'s capture clock is {:.3f} s {} this machine's: its frame times are "
                      "corrected by {:+.9f} s",
                      host, s > 0 ? s : -s, s > 0 ? "behind" : "ahead of", s)});
    }
  }
  auto st = out_->push_frame(d->second, v, arrival);
  if (!st.ok()) {
    write_failed(st);
    return;
  }
  totals_.frames++;
  totals_.bytes += f.data.size();
}

void OutputSink::comment(model::TimePoint at, const std::string& text) {
  std::lock_guard lk(mu_);
  if (finalized_) return;
  out_->event(capture::ManifestEvent{to_ns(at), "comment", text});
}

orchestrator::SinkTotals OutputSink::totals() {
  std::lock_guard lk(mu_);
  return totals_;
}

void OutputSink::write_failed(const Status& st) {
  if (st.ok() || output_failure_) return;
  output_failure_ = st.error().message;
  errors_.push_back(st.error().message);
}

std::optional<std::string> OutputSink::output_failure() {
  std::lock_guard lk(mu_);
  return output_failure_ ? output_failure_ : failed_;
}

void OutputSink::fail(std::string why) {
  std::lock_guard lk(mu_);
  if (!failed_) failed_ = std::move(why);
}

std::vector<std::string> OutputSink::take_errors() {
  std::lock_guard lk(mu_);
  return std::exchange(errors_, {});
}

Status OutputSink::finalize(const orchestrator::SessionSummary& summary) {
  std::lock_guard lk(mu_);
  if (finalized_) return Error("output.finalized", "output already finalized");
  for (const auto& g : summary.gaps) {
    out_->gap(capture::ManifestGap{g.vm_name + " " + g.mac, to_ns(g.from),
                                   g.to ? to_ns(*g.to) : to_ns(summary.ended), g.reason});
  }
  for (const auto& d : summary.drs) {
    std::string detail = (d.previous ? d.previous->behavior : std::string("none")) + " -> " +
                         (d.applied ? d.applied->behavior : std::string("none"));
    if (!d.ok) detail += " (failed: " + d.message + ")";
    out_->drs_action(capture::ManifestDrsAction{to_ns(summary.ended), d.cluster.value,
                                                d.vm.value, d.action, detail});
  }
  for (const auto& e : summary.events) {
    out_->event(capture::ManifestEvent{to_ns(e.at), model::to_string(e.kind),
                                       e.vm_name + (e.detail.empty() ? "" : ": " + e.detail)});
  }
  for (const auto& [host, clock] : clocks_)
    if (clock.correction_ns() != 0) out_->clock_correction(host, clock.correction_ns());
  std::string reason = orchestrator::to_string(summary.end_reason);
  if (!summary.error.empty()) reason += ": " + summary.error;
  auto m = out_->close(to_ns(summary.ended), reason);
  finalized_ = true;
  if (!m.ok()) return m.error();
  return Status();
}

}  // namespace vmc::session
