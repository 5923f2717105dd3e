#include "plan/vm_flags.h"

#include <map>

#include "plan/filter_keys.h"
#include "plan/spec_checks.h"
#include "plan/values.h"

namespace vmc::plan {

std::string flag_for_field(const std::string& field) {
  static const std::map<std::string, std::string> flags{
      {"targets", "NAME"},
      {"capture.direction", "--dir"},
      {"capture.point", "--capture-point"},
      {"capture.stage", "--stage"},
      {"capture.filter", "--filter"},
      {"stop.duration", "--duration"},
      {"stop.packets", "--packets"},
      {"stop.size", "--size"},
      {"stop.boots", "--boots"},
      {"output.path", "-w"},
      {"output.rotation", "--rotate-size/--rotate-time/--rotate-packets"},
      {"output.rotation.ring", "--ring"},
      {"output.snaplen", "--snaplen"},
      {"output.on_host", "--on-host"},
      {"output.on_host.datastore", "--on-host"},
      {"drs", "--drs"},
      {"bridge", "--bridge"},
  };
  std::string f = field;
  if (f.rfind("capture.filter.", 0) == 0) return "--filter " + f.substr(15);
  if (f.rfind("targets.vms", 0) == 0) return f.find(".nics") != std::string::npos ? "--nic" : "NAME";
  while (!f.empty()) {
    if (auto it = flags.find(f); it != flags.end()) return it->second;
    size_t cut = f.find_last_of(".[");
    f = cut == std::string::npos ? "" : f.substr(0, cut);
  }
  return "command line";
}

namespace {

class FlagApplier {
 public:
  FlagApplier(model::SessionSpec& spec, Diagnostics& diags) : spec_(spec), diags_(diags) {}

  // Parses `text` for `field`; on error reports it at the field's flag.
  template <typename T>
  std::optional<T> parse(const std::string& field, Result<T> r) {
    if (!r) {
      report(field, r.error());
      return std::nullopt;
    }
    return std::move(*r);
  }

  void report(const std::string& field, const Error& e) {
    diags_.add(Location{flag_for_field(field), 0, 0}, e.code, e.message);
  }

  template <typename T>
  void set(const std::optional<std::string>& flag, const std::string& field, Result<T> (*fn)(std::string_view), T& dst) {
    if (!flag) return;
    if (auto v = parse(field, fn(*flag))) dst = *v;
  }
  template <typename T>
  void set(const std::optional<std::string>& flag, const std::string& field, Result<T> (*fn)(std::string_view),
           std::optional<T>& dst) {
    if (!flag) return;
    if (auto v = parse(field, fn(*flag))) dst = *v;
  }

  model::SessionSpec& spec_;
  Diagnostics& diags_;
};

Result<uint64_t> parse_packets(std::string_view s) {
  auto r = parse_int(s, 1, int64_t{1000000000000}, "packets");
  if (!r) return r.error();
  return static_cast<uint64_t>(*r);
}

// "proto=udp,dstport=67" -> {"proto","udp"}, {"dstport","67"}; rcf takes the rest of the text.
std::vector<std::pair<std::string, std::string>> split_filters(const std::string& text) {
  std::vector<std::pair<std::string, std::string>> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t eq = text.find('=', start);
    std::string key = text.substr(start, eq == std::string::npos ? std::string::npos : eq - start);
    if (eq == std::string::npos) {
      out.emplace_back(key, "");
      break;
    }
    size_t end = key == "rcf" ? text.size() : text.find(',', eq + 1);
    if (end == std::string::npos) end = text.size();
    out.emplace_back(key, text.substr(eq + 1, end - eq - 1));
    start = end + 1;
  }
  return out;
}

}  // namespace

LoadResult spec_from_flags(const VmFlags& flags, const LoadOptions& options) {
  LoadResult result;
  Diagnostics& diags = result.diagnostics;
  model::SessionSpec spec;
  spec.name = "vm " + flags.vm;
  spec.source = "command line";
  apply_policy(spec, flags.policy, Location{"--policy", 0, 0}, std::filesystem::current_path(), options, diags);
  const size_t policy_errors = diags.size();

  FlagApplier a(spec, diags);
  model::VmTarget target;
  if (flags.vm.empty()) {
    diags.add(Location{"NAME", 0, 0}, "plan.missing", "no VM given; name the VM to capture (name, path, vm-NN or MAC)");
  } else if (looks_like_mac(flags.vm)) {
    target.vm = *parse_mac(flags.vm);
  } else {
    target.vm = flags.vm;
  }
  for (const auto& nic : flags.nics) {
    if (nic.empty()) {
      diags.add(Location{"--nic", 0, 0}, "plan.bad-value", "empty NIC; give a label like \"Network adapter 1\" or a MAC");
    } else {
      target.nics.push_back(looks_like_mac(nic) ? *parse_mac(nic) : nic);
    }
  }
  spec.vms = {target};

  a.set(flags.dir, "capture.direction", &parse_direction, spec.direction);
  if (flags.capture_point) {
    if (auto p = a.parse("capture.point", parse_capture_point(*flags.capture_point))) spec.capture_point = *p;
  }
  if (flags.stage) {
    if (auto s = a.parse("capture.stage", parse_stage(*flags.stage))) spec.stage = *s;
  }
  if (!flags.filters.empty()) {
    spec.filter = model::Filter{};  // flags replace the policy's filter, as a plan's filter does
    for (const auto& text : flags.filters) {
      for (const auto& [key, value] : split_filters(text)) {
        auto st = set_filter_key(spec.filter, key, value);
        if (!st) diags.add(Location{"--filter", 0, 0}, st.error().code, key + ": " + st.error().message);
      }
    }
  }
  a.set(flags.duration, "stop.duration", &parse_duration, spec.stop.duration);
  a.set(flags.packets, "stop.packets", &parse_packets, spec.stop.packets);
  a.set(flags.size, "stop.size", &parse_size, spec.stop.bytes);
  a.set(flags.boots, "stop.boots", &parse_boots, spec.stop.boots);
  if (flags.output) {
    if (flags.output->empty()) {
      diags.add(Location{"-w", 0, 0}, "plan.bad-value", "empty output path; give a file name, or - for stdout");
    } else {
      spec.output.path = *flags.output;
    }
  }
  if (flags.rotate_size || flags.rotate_time || flags.rotate_packets) spec.output.rotation = model::Rotation{};
  a.set(flags.rotate_size, "output.rotation.size", &parse_size, spec.output.rotation.max_bytes);
  a.set(flags.rotate_time, "output.rotation.time", &parse_duration, spec.output.rotation.max_age);
  a.set(flags.rotate_packets, "output.rotation.packets", &parse_packets, spec.output.rotation.max_packets);
  a.set(flags.ring, "output.rotation.ring", &parse_ring, spec.output.rotation.ring);
  a.set(flags.snaplen, "output.snaplen", &parse_snaplen, spec.output.snaplen);
  if (flags.on_host) {
    spec.output.on_host = true;
    spec.output.datastore = *flags.on_host;
  }
  if (flags.force_tmp) {
    spec.output.on_host = true;
    spec.output.force_tmp = true;
  }
  a.set(flags.drs, "drs", &parse_drs, spec.drs);
  a.set(flags.bridge, "bridge", &parse_bool, spec.bridge.enabled);

  if (diags.size() == policy_errors) {
    for (const auto& p : check_spec(spec, SpecKind::Plan)) {
      diags.add(Location{flag_for_field(p.field), 0, 0}, p.code, p.message);
    }
  }
  if (diags.empty()) result.spec = std::move(spec);
  return result;
}

}  // namespace vmc::plan
