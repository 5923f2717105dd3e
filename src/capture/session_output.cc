#include "capture/session_output.h"

#include <limits>

#include <fmt/format.h>

namespace vmc::capture {

std::string interface_name(const PinInfo& pin) {
  return pin.host + ":" + pin.port + ":" + model::to_string(pin.direction);
}

std::string interface_description(const PinInfo& pin) {
  std::string d = "VM " + pin.vm;
  if (!pin.nic_label.empty()) d += ", " + pin.nic_label;
  if (!pin.mac.empty()) d += ", MAC " + pin.mac;
  return d;
}

SessionOutputOptions session_output_options(const model::SessionSpec& spec,
                                            const std::string& vcenter,
                                            const std::string& session_id) {
  SessionOutputOptions o;
  o.output.path = spec.output.path;
  o.output.rotation = spec.output.rotation;
  const std::string tool = std::string("vm-capture ") + VMC_VERSION;
  std::string vms;
  for (const auto& v : spec.vms) vms += (vms.empty() ? "" : ", ") + v.vm;
  o.output.section.user_appl = tool;
  o.output.section.comments.push_back(
      fmt::format("vCenter {}; VM {}; plan {} ({}){}", vcenter, vms.empty() ? "-" : vms,
                  spec.name, spec.source, spec.policy.empty() ? "" : "; policy " + spec.policy));
  o.output.section.comments.push_back("session " + session_id);
  o.header.tool = tool;
  o.header.session = session_id;
  o.header.vcenter = vcenter;
  o.header.plan = spec.name;
  if (spec.output.on_host) {
    o.merge.max_delay_ns = std::numeric_limits<int64_t>::max();
    o.merge.max_frames = kOnHostHeldFrames;
  }
  return o;
}

struct SessionOutput::Pin {
  PinInfo info;
  uint32_t interface = 0;
  uint32_t stream = 0;
  uint32_t flags = 0;
  PcapStreamReader reader;
  bool open = true;
  size_t manifest_index = 0;
  uint64_t pushed = 0;      // frames given already parsed (push_frame), not as pcap bytes
  bool bytes_seen = false;  // push() was used: the pcap stream must end cleanly
};

// Writes merged frames and counts them per pin.
class SessionOutput::Output : public MergeOutput {
 public:
  explicit Output(SessionOutput& s) : s_(s) {}
  Status frame(size_t source, const FrameView& f) override {
    auto& pin = s_.pins_[source];
    if (auto st = s_.writer_->write(pin.interface, f, pin.flags); !st) return st;
    auto& mp = s_.manifest_.pins[pin.manifest_index];
    ++mp.frames;
    mp.bytes += f.data.size();
    ++s_.frames_;
    s_.bytes_ += f.data.size();
    return {};
  }

 private:
  SessionOutput& s_;
};

SessionOutput::SessionOutput(SessionOutputOptions o) : o_(std::move(o)), merger_(o_.merge) {}
SessionOutput::~SessionOutput() = default;

Result<std::unique_ptr<SessionOutput>> SessionOutput::open(SessionOutputOptions o, int64_t now_ns) {
  std::unique_ptr<SessionOutput> s(new SessionOutput(std::move(o)));
  auto w = RotatingWriter::open(s->o_.output);
  if (!w) return w.error();
  s->writer_ = std::move(*w);
  s->manifest_ = s->o_.header;
  s->manifest_.start_ns = now_ns;
  if (s->o_.manifest_path.empty() && s->o_.output.path != "-")
    s->o_.manifest_path = manifest_path_for(s->o_.output.path);
  return s;
}

Result<uint32_t> SessionOutput::add_pin(const PinInfo& info, int64_t now_ns) {
  if (closed_) return Error("capture.session", "add_pin after close");
  InterfaceInfo ifc;
  ifc.name = interface_name(info);
  ifc.description = interface_description(info);
  auto id = writer_->add_interface(ifc);
  if (!id) return id.error();
  const uint32_t stream = merger_.add_stream();
  Pin pin{info, *id, stream, 0, PcapStreamReader(ifc.name), true, manifest_.pins.size()};
  pin.flags = info.direction == model::Direction::In    ? kFlagInbound
              : info.direction == model::Direction::Out ? kFlagOutbound
                                                        : 0;
  ManifestPin mp;
  mp.interface = ifc.name;
  mp.host = info.host;
  mp.port = info.port;
  mp.direction = model::to_string(info.direction);
  mp.vm = info.vm;
  mp.nic = info.nic_label;
  mp.mac = info.mac;
  mp.start_ns = now_ns;
  manifest_.pins.push_back(mp);
  pins_.push_back(std::move(pin));
  // Stream ids and pin ids are the same numbers: both are dense in add order.
  return static_cast<uint32_t>(pins_.size() - 1);
}

Status SessionOutput::drain_stream(uint32_t id, int64_t now_ns) {
  auto& pin = pins_[id];
  for (;;) {
    auto f = pin.reader.next();
    if (!f) return f.error();
    if (!*f) return {};
    merger_.push(pin.stream, **f, now_ns);
  }
}

Status SessionOutput::push(uint32_t id, std::span<const uint8_t> bytes, int64_t now_ns) {
  if (id >= pins_.size()) return Error("capture.session", fmt::format("unknown pin {}", id));
  auto& pin = pins_[id];
  if (!pin.open) return {};
  pin.bytes_seen = true;
  pin.reader.push(bytes);
  if (auto s = drain_stream(id, now_ns); !s) {
    auto& mp = manifest_.pins[pin.manifest_index];
    mp.error = s.error().message;
    manifest_.errors.push_back(s.error().message);
    (void)end_pin(id, "stream corrupt", std::nullopt, now_ns);
    return s;
  }
  return tick(now_ns);
}

Status SessionOutput::push_frame(uint32_t id, const FrameView& frame, int64_t now_ns) {
  if (id >= pins_.size()) return Error("capture.session", fmt::format("unknown pin {}", id));
  auto& pin = pins_[id];
  if (!pin.open) return {};
  pin.pushed++;
  merger_.push(pin.stream, frame, now_ns);
  return {};
}

Status SessionOutput::end_pin(uint32_t id, const std::string& reason,
                              std::optional<uint64_t> dropped, int64_t now_ns) {
  if (id >= pins_.size()) return Error("capture.session", fmt::format("unknown pin {}", id));
  auto& pin = pins_[id];
  if (!pin.open) return {};
  pin.open = false;
  auto& mp = manifest_.pins[pin.manifest_index];
  if (auto fin = pin.reader.finish(); pin.bytes_seen && !fin && mp.error.empty()) {
    mp.error = fin.error().message;
    manifest_.errors.push_back(fin.error().message);
  }
  merger_.end_stream(pin.stream);
  mp.end_ns = now_ns;
  mp.end_reason = reason;
  mp.dropped = dropped;
  // Frames of this pin still held are written before its statistics block.
  Output out(*this);
  if (auto s = merger_.release(now_ns, out); !s) return s;
  InterfaceStats st;
  st.start_ns = mp.start_ns;
  st.end_ns = now_ns;
  st.received = pin.reader.frames() + pin.pushed;
  st.dropped = dropped;
  st.comment = "pin stopped: " + reason;
  if (!mp.error.empty()) st.comment += " (" + mp.error + ")";
  return writer_->write_stats(pin.interface, now_ns, st);
}

void SessionOutput::event(const ManifestEvent& e, std::optional<uint32_t> pin) {
  manifest_.events.push_back(e);
  const std::string text = format_time(e.at_ns) + " " + e.kind + ": " + e.detail;
  if (pin && *pin < pins_.size()) {
    writer_->comment(pins_[*pin].interface, text);
    return;
  }
  for (const auto& p : pins_)
    if (p.open) writer_->comment(p.interface, text);
}

void SessionOutput::gap(const ManifestGap& g) {
  manifest_.gaps.push_back(g);
  event({g.to_ns, "gap",
         fmt::format("no capture of {} for {:.3f} s ({})", g.vm,
                     static_cast<double>(g.to_ns - g.from_ns) / 1e9, g.reason)});
  manifest_.events.pop_back();  // the gap is listed under "gaps" already
}

void SessionOutput::drs_action(const ManifestDrsAction& d) { manifest_.drs_actions.push_back(d); }

Status SessionOutput::tick(int64_t now_ns) {
  if (closed_) return {};
  Output out(*this);
  return merger_.release(now_ns, out);
}

Status SessionOutput::flush() {
  if (closed_ || !writer_) return {};
  return writer_->flush();
}

Result<Manifest> SessionOutput::close(int64_t now_ns, const std::string& reason) {
  if (closed_) return Error("capture.session", "closed twice");
  for (uint32_t i = 0; i < pins_.size(); ++i) {
    if (pins_[i].open) {
      if (auto s = end_pin(i, reason, std::nullopt, now_ns); !s) return s.error();
    }
  }
  Output out(*this);
  if (auto s = merger_.release_all(out); !s) return s.error();
  closed_ = true;
  if (auto s = writer_->close(); !s) return s.error();
  manifest_.end_ns = now_ns;
  manifest_.stop_reason = reason;
  manifest_.frames = frames_;
  manifest_.bytes = bytes_;
  manifest_.duplicates_removed = merger_.duplicates();
  manifest_.late_frames = merger_.late();
  manifest_.files_removed = writer_->files_removed();
  manifest_.files.clear();
  for (const auto& f : writer_->files()) manifest_.files.push_back(f.path);
  if (o_.output.path == "-") manifest_.files.push_back("-");
  if (!o_.manifest_path.empty()) {
    if (auto s = write_manifest(o_.manifest_path, manifest_); !s) return s.error();
  }
  return manifest_;
}

}  // namespace vmc::capture
