#include "plan/plan_loader.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include "plan/filter_keys.h"
#include "plan/spec_checks.h"
#include "plan/suggest.h"
#include "plan/values.h"
#include "plan/yaml_text.h"

namespace vmc::plan {

namespace {

namespace fs = std::filesystem;
// Where each field of the spec was last set (for problems found across fields), and the
// fields whose value was rejected (so that no follow-on problem is reported for them).
struct Trace {
  std::map<std::string, Location> marks;
  std::set<std::string> failed;
};

enum class Mode { Plan, Policy };

constexpr size_t kMaxListItems = 256;

const std::vector<std::string> kTopKeys{"name",    "description", "policy", "targets", "capture",
                                        "stop",    "output",      "drs",    "bridge"};
const std::vector<std::string> kTargetKeys{"vms", "uplinks"};
const std::vector<std::string> kVmKeys{"vm", "name", "path", "moref", "mac", "nics"};
const std::vector<std::string> kUplinkKeys{"host", "vmnics", "lag"};
const std::vector<std::string> kCaptureKeys{"direction", "point", "stage", "filter"};
const std::vector<std::string> kStopKeys{"duration", "packets", "size", "boots"};
const std::vector<std::string> kOutputKeys{"path", "snaplen", "rotation", "on_host"};
const std::vector<std::string> kRotationKeys{"size", "time", "packets", "ring"};
const std::vector<std::string> kOnHostKeys{"datastore", "force_tmp"};
const std::vector<std::string> kDrsKeys{"behavior"};

const char* kind_of(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Null: return "empty";
    case YAML::NodeType::Scalar: return "a single value";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Map: return "a mapping";
    default: return "undefined";
  }
}

bool is_none(const std::string& s) {
  std::string l = s;
  for (auto& c : l) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return l == "none" || l == "off";
}

bool printable(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u >= 0x20 && u != 0x7f;
  });
}

class Loader {
 public:
  Loader(std::string file, Mode mode, model::SessionSpec& spec, Diagnostics& diags, Trace& trace)
      : file_(std::move(file)), mode_(mode), spec_(spec), diags_(diags), marks_(trace.marks), failed_(trace.failed) {}

  // Applies every key of the document `root` onto the spec. In plan mode `policy` and
  // `name` are skipped here: the caller handles them before (the policy must come first).
  // Returns false when the document is not a mapping at all.
  bool apply(const YAML::Node& root) {
    const char* what = mode_ == Mode::Plan ? "plan" : "policy";
    if (root.IsNull()) {
      error(Location{file_, 1, 1}, "plan.empty",
            std::string("the ") + what + " is empty; expected a mapping with keys like " +
                (mode_ == Mode::Plan ? "name, targets, capture, stop, output" : "capture, stop, output, drs, bridge"));
      return false;
    }
    if (!root.IsMap()) {
      error(loc(root), "plan.bad-type",
            std::string("the ") + what + " must be a mapping (key: value lines), not " + kind_of(root));
      return false;
    }
    each_key(root, "", kTopKeys, [&](const std::string& key, const YAML::Node& k, const YAML::Node& v) {
      if (mode_ == Mode::Policy && (key == "name" || key == "policy" || key == "targets")) {
        error(loc(k), "plan.not-in-policy",
              "'" + key + "' belongs in a plan, not in a policy: a policy holds defaults (capture, "
              "stop, output, drs, bridge) that many plans share");
        return;
      }
      if (key == "name" || key == "policy") return;  // handled by the caller
      const size_t errors_before = diags_.size();
      section(key, k, v);
      if (diags_.size() > errors_before) failed_.insert(key);
    });
    return true;
  }

  Location loc(const YAML::Node& n) const { return location_of(file_, n.Mark()); }

  void error(Location where, std::string code, std::string message) {
    diags_.add(std::move(where), std::move(code), std::move(message));
  }

  // The value of `v` as a string, or an error if it is not a single value.
  std::optional<std::string> scalar(const YAML::Node& k, const YAML::Node& v, const std::string& field,
                                    const std::string& expected) {
    if (v.IsNull()) {
      failed_.insert(field);
      error(loc_value(k, v), "plan.missing", "'" + field + "' has no value; expected " + expected);
      return std::nullopt;
    }
    if (!v.IsScalar()) {
      failed_.insert(field);
      error(loc(v), "plan.bad-type", "'" + field + "' must be " + expected + ", not " + kind_of(v));
      return std::nullopt;
    }
    return v.Scalar();
  }

 private:
  Location loc_value(const YAML::Node& k, const YAML::Node& v) const {
    return (v.IsNull() || v.Mark().is_null()) ? loc(k) : loc(v);
  }

  void section(const std::string& key, const YAML::Node& k, const YAML::Node& v) {
    if (key == "description") {
      scalar(k, v, "description", "a line of text");
    } else if (key == "targets") {
      targets(k, v);
    } else if (key == "capture") {
      capture(k, v);
    } else if (key == "stop") {
      stop(k, v);
    } else if (key == "output") {
      output(k, v);
    } else if (key == "drs") {
      drs(k, v);
    } else if (key == "bridge") {
      if (auto s = scalar(k, v, "bridge", "on or off")) {
        if (auto b = value(k, v, "bridge", parse_bool(*s))) spec_.bridge.enabled = *b;
      }
    }
  }

  void mark(const std::string& field, const YAML::Node& n) { marks_[field] = loc(n); }

  // Forgets the marks of a section that is being replaced as a whole.
  void forget(const std::string& prefix) {
    for (auto it = marks_.begin(); it != marks_.end();) {
      if (it->first.rfind(prefix, 0) == 0) {
        it = marks_.erase(it);
      } else {
        ++it;
      }
    }
  }

  template <typename T>
  std::optional<T> value(const YAML::Node& k, const YAML::Node& v, const std::string& field, Result<T> r) {
    if (!r) {
      failed_.insert(field);
      error(loc_value(k, v), r.error().code, "'" + field + "': " + r.error().message);
      return std::nullopt;
    }
    mark(field, v.Mark().is_null() ? k : v);
    return std::move(*r);
  }

  // Calls fn(key, key_node, value_node) for each entry of a mapping, reporting keys that
  // are unknown, duplicated or not plain words.
  template <typename Fn>
  void each_key(const YAML::Node& node, const std::string& ctx, const std::vector<std::string>& allowed, Fn fn) {
    std::string where = ctx.empty() ? std::string("at the top level of the ") +
                                          (mode_ == Mode::Plan ? "plan" : "policy")
                                    : "in '" + ctx + "'";
    std::set<std::string> seen;
    for (const auto& entry : node) {
      const YAML::Node k = entry.first;  // copies: Node is a handle, and the iterator's value is a temporary
      const YAML::Node v = entry.second;
      if (!k.IsScalar()) {
        error(loc(k), "plan.bad-key", std::string("a key ") + where + " is " + kind_of(k) +
                                          "; keys are plain words: " + join_alternatives(allowed));
        continue;
      }
      const std::string& key = k.Scalar();
      if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
        std::string msg = "unknown key '" + key + "' " + where;
        if (auto s = closest(key, allowed)) {
          msg += "; did you mean '" + *s + "'?";
          failed_.insert(ctx.empty() ? *s : ctx + "." + *s);
        }
        msg += (msg.back() == '?' ? " expected one of: " : "; expected one of: ") + join_alternatives(allowed);
        error(loc(k), "plan.unknown-key", msg);
        continue;
      }
      if (!seen.insert(key).second) {
        error(loc(k), "plan.duplicate-key",
              "key '" + key + "' appears twice " + where + "; keep one (YAML would silently use one of them)");
        continue;
      }
      fn(key, k, v);
    }
  }

  bool expect_map(const YAML::Node& k, const YAML::Node& v, const std::string& field, const std::string& keys) {
    if (v.IsMap()) return true;
    failed_.insert(field);
    if (v.IsNull()) {
      error(loc_value(k, v), "plan.missing", "'" + field + "' has no value; expected a mapping with " + keys);
    } else {
      error(loc(v), "plan.bad-type", "'" + field + "' must be a mapping with " + keys + ", not " + kind_of(v));
    }
    return false;
  }

  // A list of scalars (a single scalar counts as a list of one).
  std::vector<std::pair<std::string, YAML::Node>> scalar_list(const YAML::Node& k, const YAML::Node& v,
                                                              const std::string& field, const std::string& item) {
    std::vector<std::pair<std::string, YAML::Node>> out;
    if (v.IsScalar()) {
      out.emplace_back(v.Scalar(), v);
      return out;
    }
    if (!v.IsSequence()) {
      error(loc_value(k, v), v.IsNull() ? "plan.missing" : "plan.bad-type",
            "'" + field + "' must be a list of " + item + ", not " + kind_of(v));
      return out;
    }
    if (v.size() > kMaxListItems) {
      error(loc(v), "plan.too-many", "'" + field + "' has " + std::to_string(v.size()) + " entries; at most " +
                                         std::to_string(kMaxListItems) + " are allowed");
      return out;
    }
    for (const auto& e : v) {
      if (!e.IsScalar()) {
        error(loc(e), "plan.bad-type", "an entry of '" + field + "' is " + kind_of(e) + "; expected " + item);
        continue;
      }
      out.emplace_back(e.Scalar(), e);
    }
    return out;
  }

  void targets(const YAML::Node& k, const YAML::Node& v) {
    mark("targets", k);
    if (!expect_map(k, v, "targets", "vms and/or uplinks")) return;
    each_key(v, "targets", kTargetKeys, [&](const std::string& key, const YAML::Node& tk, const YAML::Node& tv) {
      if (key == "vms") {
        vms(tk, tv);
      } else {
        uplinks(tk, tv);
      }
    });
  }

  void vms(const YAML::Node& k, const YAML::Node& v) {
    spec_.vms.clear();
    forget("targets.vms");
    mark("targets.vms", k);
    const std::string shape = "VMs (a name, or a mapping with one of vm, name, path, moref, mac and optional nics)";
    if (v.IsScalar()) {
      add_vm_scalar(v, "targets.vms[0]");
      return;
    }
    if (!v.IsSequence()) {
      error(loc_value(k, v), v.IsNull() ? "plan.missing" : "plan.bad-type",
            "'targets.vms' must be a list of " + shape + ", not " + kind_of(v));
      return;
    }
    if (v.size() > kMaxListItems) {
      error(loc(v), "plan.too-many", "'targets.vms' has more than " + std::to_string(kMaxListItems) + " entries");
      return;
    }
    size_t i = 0;
    for (const auto& e : v) {
      std::string field = "targets.vms[" + std::to_string(i++) + "]";
      if (e.IsScalar()) {
        add_vm_scalar(e, field);
      } else if (e.IsMap()) {
        add_vm_map(e, field);
      } else {
        error(loc(e), "plan.bad-type", "'" + field + "' must be one of " + shape + ", not " + kind_of(e));
      }
    }
  }

  // Returns the normalized reference, or nullopt after reporting why it is not valid.
  std::optional<std::string> vm_ref(const std::string& how, const YAML::Node& n, const std::string& field) {
    std::string s = n.Scalar();
    auto fail = [&](const std::string& why) {
      error(loc(n), "plan.bad-value", "'" + field + "': " + why);
      return std::nullopt;
    };
    if (s.empty() || !printable(s)) return fail("a VM reference must be non-empty printable text");
    if (how == "mac" || (how == "vm" && looks_like_mac(s))) {
      auto m = parse_mac(s);
      if (!m) return fail(m.error().message);
      return *m;
    }
    if (how == "path") {
      if (s[0] != '/' || s.back() == '/' || s.find("//") != std::string::npos) {
        return fail("'" + s + "' is not an inventory path; expected a path like /dc1/vm/folder/testvm1");
      }
      return s;
    }
    if (how == "moref") {
      std::string id = s.rfind("VirtualMachine:", 0) == 0 ? s.substr(15) : s;
      bool ok = id.size() > 3 && id.rfind("vm-", 0) == 0 &&
                std::all_of(id.begin() + 3, id.end(), [](char c) { return c >= '0' && c <= '9'; });
      if (!ok) return fail("'" + s + "' is not a VM managed object id; expected vm-<number> like vm-42");
      return id;
    }
    if (s.size() > 80) return fail("'" + s.substr(0, 40) + "...' is longer than vSphere's 80-character VM names");
    return s;
  }

  void add_vm_scalar(const YAML::Node& n, const std::string& field) {
    if (auto ref = vm_ref("vm", n, field)) {
      mark("targets.vms[" + std::to_string(spec_.vms.size()) + "]", n);
      spec_.vms.push_back(model::VmTarget{*ref, {}});
    }
  }

  void add_vm_map(const YAML::Node& n, const std::string& field) {
    model::VmTarget t;
    bool ok = true;
    std::vector<std::string> refs;
    YAML::Node nics_key;
    each_key(n, field, kVmKeys, [&](const std::string& key, const YAML::Node& k, const YAML::Node& v) {
      if (key == "nics") {
        for (const auto& [nic, node] : scalar_list(k, v, field + ".nics", "NIC labels or MACs")) {
          if (nic.empty() || !printable(nic)) {
            error(loc(node), "plan.bad-value", "'" + field + ".nics': a NIC is a label like \"Network adapter 1\" or a MAC");
            ok = false;
          } else if (looks_like_mac(nic)) {
            t.nics.push_back(*parse_mac(nic));
          } else {
            t.nics.push_back(nic);
          }
        }
        nics_key = k;
        return;
      }
      refs.push_back(key);
      if (refs.size() > 1) {
        error(loc(k), "plan.conflict", "'" + field + "' names its VM twice (" + refs.front() + " and " + key +
                                           "); give exactly one of vm, name, path, moref or mac");
        ok = false;
        return;
      }
      auto s = scalar(k, v, field + "." + key, "a VM " + key);
      if (!s) {
        ok = false;
        return;
      }
      if (auto ref = vm_ref(key, v, field + "." + key)) {
        t.vm = *ref;
      } else {
        ok = false;
      }
    });
    if (refs.empty()) {
      error(loc(n), "plan.missing", "'" + field + "' does not say which VM; add one of vm, name, path, moref or mac");
      return;
    }
    if (!ok) return;
    // Marks use the index in spec.vms (entries with errors are left out of it).
    std::string spec_field = "targets.vms[" + std::to_string(spec_.vms.size()) + "]";
    mark(spec_field, n);
    if (nics_key.IsDefined()) mark(spec_field + ".nics", nics_key);
    spec_.vms.push_back(std::move(t));
  }

  void uplinks(const YAML::Node& k, const YAML::Node& v) {
    spec_.uplinks.clear();
    forget("targets.uplinks");
    mark("targets.uplinks", k);
    const std::string shape = "mappings with host and one of vmnics or lag";
    if (!v.IsSequence()) {
      error(loc_value(k, v), v.IsNull() ? "plan.missing" : "plan.bad-type",
            "'targets.uplinks' must be a list of " + shape + ", not " + kind_of(v));
      return;
    }
    if (v.size() > kMaxListItems) {
      error(loc(v), "plan.too-many", "'targets.uplinks' has more than " + std::to_string(kMaxListItems) + " entries");
      return;
    }
    size_t i = 0;
    for (const auto& e : v) {
      std::string field = "targets.uplinks[" + std::to_string(i++) + "]";
      if (!e.IsMap()) {
        error(loc(e), "plan.bad-type", "'" + field + "' must be a mapping with host and one of vmnics or lag, not " + kind_of(e));
        continue;
      }
      model::UplinkTarget u;
      bool ok = true;
      bool has_host = false;
      each_key(e, field, kUplinkKeys, [&](const std::string& key, const YAML::Node& uk, const YAML::Node& uv) {
        if (key == "host") {
          auto s = scalar(uk, uv, field + ".host", "a host name as in vCenter, like esx01");
          if (!s) {
            ok = false;
          } else if (s->empty() || s->size() > 255 ||
                     !std::all_of(s->begin(), s->end(), [](char c) {
                       return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_' || c == ':';
                     })) {
            error(loc(uv), "plan.bad-value", "'" + field + ".host': '" + *s + "' is not a host name; expected a name like esx01 or esx01.example.com");
            ok = false;
          } else {
            u.host = *s;
            has_host = true;
          }
        } else if (key == "vmnics") {
          for (const auto& [name, node] : scalar_list(uk, uv, field + ".vmnics", "uplink names like vmnic0")) {
            auto r = parse_uplink_name(name);
            if (!r) {
              error(loc(node), r.error().code, "'" + field + ".vmnics': " + r.error().message);
              ok = false;
            } else {
              u.uplinks.push_back(*r);
            }
          }
          if (u.uplinks.empty() && ok && uv.IsSequence()) {
            error(loc(uv), "plan.missing", "'" + field + ".vmnics' is empty; list uplinks like [vmnic0, vmnic1]");
            ok = false;
          }
        } else {
          auto s = scalar(uk, uv, field + ".lag", "a LAG name like lag1");
          if (!s || s->empty() || !printable(*s) || s->size() > 80) {
            if (s) error(loc(uv), "plan.bad-value", "'" + field + ".lag': expected a LAG name like lag1");
            ok = false;
          } else {
            u.lag = *s;
          }
        }
      });
      if (!has_host && ok) {
        error(loc(e), "plan.missing", "'" + field + "' has no host; add host: esx01 (the host whose uplinks to capture)");
        ok = false;
      }
      if (ok) {
        mark("targets.uplinks[" + std::to_string(spec_.uplinks.size()) + "]", e);
        spec_.uplinks.push_back(std::move(u));
      }
    }
  }

  void capture(const YAML::Node& k, const YAML::Node& v) {
    if (!expect_map(k, v, "capture", "direction, point, stage and/or filter")) return;
    each_key(v, "capture", kCaptureKeys, [&](const std::string& key, const YAML::Node& ck, const YAML::Node& cv) {
      if (key == "direction") {
        if (auto s = scalar(ck, cv, "capture.direction", "in, out or both")) {
          if (auto d = value(ck, cv, "capture.direction", parse_direction(*s))) spec_.direction = *d;
        }
      } else if (key == "point") {
        if (auto s = scalar(ck, cv, "capture.point", "a capture point name like VnicRx")) {
          if (is_none(*s)) {
            spec_.capture_point.clear();
          } else if (auto p = value(ck, cv, "capture.point", parse_capture_point(*s))) {
            spec_.capture_point = *p;
          }
        }
      } else if (key == "stage") {
        if (auto s = scalar(ck, cv, "capture.stage", "pre or post")) {
          if (is_none(*s)) {
            spec_.stage.reset();
          } else if (auto st = value(ck, cv, "capture.stage", parse_stage(*s))) {
            spec_.stage = *st;
          }
        }
      } else {
        filter(ck, cv);
      }
    });
  }

  void filter(const YAML::Node& k, const YAML::Node& v) {
    // Replaced as a whole: a plan's filter is never ANDed with its policy's.
    spec_.filter = model::Filter{};
    forget("capture.filter");
    mark("capture.filter", k);
    if (v.IsNull() || (v.IsScalar() && is_none(v.Scalar()))) return;
    if (!expect_map(k, v, "capture.filter", "filter keys (" + join_alternatives(filter_keys()) + ")")) return;
    each_key(v, "capture.filter", filter_keys(), [&](const std::string& key, const YAML::Node& fk, const YAML::Node& fv) {
      std::string field = "capture.filter." + key;
      auto s = scalar(fk, fv, field, "a single value");
      if (!s) return;
      auto st = set_filter_key(spec_.filter, key, *s);
      if (!st) {
        failed_.insert(field);
        error(loc(fv), st.error().code, "'" + field + "': " + st.error().message);
        return;
      }
      mark(field, fv);
    });
  }

  template <typename T, typename Parse>
  void optional_value(const YAML::Node& k, const YAML::Node& v, const std::string& field, const std::string& expected,
                      std::optional<T>& dst, Parse parse) {
    auto s = scalar(k, v, field, expected);
    if (!s) return;
    if (is_none(*s)) {
      dst.reset();
      marks_.erase(field);
      return;
    }
    if (auto r = value(k, v, field, parse(*s))) dst = *r;
  }

  void stop(const YAML::Node& k, const YAML::Node& v) {
    if (!expect_map(k, v, "stop", "duration, packets, size and/or boots")) return;
    each_key(v, "stop", kStopKeys, [&](const std::string& key, const YAML::Node& sk, const YAML::Node& sv) {
      std::string field = "stop." + key;
      if (key == "duration") {
        optional_value(sk, sv, field, "a duration like 30s, 5m or 1h30m", spec_.stop.duration,
                       [](const std::string& s) { return parse_duration(s); });
      } else if (key == "packets") {
        optional_value(sk, sv, field, "a number of packets", spec_.stop.packets, [](const std::string& s) {
          auto r = parse_int(s, 1, int64_t{1000000000000}, "packets");
          return r ? Result<uint64_t>(static_cast<uint64_t>(*r)) : Result<uint64_t>(r.error());
        });
      } else if (key == "size") {
        optional_value(sk, sv, field, "a size like 500MB or 2GiB", spec_.stop.bytes,
                       [](const std::string& s) { return parse_size(s); });
      } else {
        optional_value(sk, sv, field, "a number of boots", spec_.stop.boots,
                       [](const std::string& s) { return parse_boots(s); });
      }
    });
  }

  void output(const YAML::Node& k, const YAML::Node& v) {
    if (!expect_map(k, v, "output", "path, snaplen, rotation and/or on_host")) return;
    each_key(v, "output", kOutputKeys, [&](const std::string& key, const YAML::Node& ok, const YAML::Node& ov) {
      if (key == "path") {
        if (auto s = scalar(ok, ov, "output.path", "a file path, or - for stdout")) {
          if (s->empty() || !printable(*s) || s->size() > 4096 || s->back() == '/') {
            error(loc(ov), "plan.bad-value",
                  "'output.path': expected a file path like captures/testvm1.pcapng, or - for stdout");
          } else {
            spec_.output.path = *s;
            mark("output.path", ov);
          }
        }
      } else if (key == "snaplen") {
        if (auto s = scalar(ok, ov, "output.snaplen", "a snap length")) {
          if (auto n = value(ok, ov, "output.snaplen", parse_snaplen(*s))) spec_.output.snaplen = *n;
        }
      } else if (key == "rotation") {
        rotation(ok, ov);
      } else {
        on_host(ok, ov);
      }
    });
  }

  void rotation(const YAML::Node& k, const YAML::Node& v) {
    spec_.output.rotation = model::Rotation{};
    forget("output.rotation");
    mark("output.rotation", k);
    if (v.IsNull() || (v.IsScalar() && is_none(v.Scalar()))) return;
    if (!expect_map(k, v, "output.rotation", "size, time, packets and/or ring")) return;
    auto& r = spec_.output.rotation;
    each_key(v, "output.rotation", kRotationKeys, [&](const std::string& key, const YAML::Node& rk, const YAML::Node& rv) {
      std::string field = "output.rotation." + key;
      if (key == "size") {
        optional_value(rk, rv, field, "a size like 100MB", r.max_bytes, [](const std::string& s) { return parse_size(s); });
      } else if (key == "time") {
        optional_value(rk, rv, field, "a duration like 10m", r.max_age, [](const std::string& s) { return parse_duration(s); });
      } else if (key == "packets") {
        optional_value(rk, rv, field, "a number of packets", r.max_packets, [](const std::string& s) {
          auto n = parse_int(s, 1, int64_t{1000000000000}, "packets");
          return n ? Result<uint64_t>(static_cast<uint64_t>(*n)) : Result<uint64_t>(n.error());
        });
      } else if (auto s = scalar(rk, rv, field, "a number of files")) {
        if (auto n = value(rk, rv, field, parse_ring(*s))) r.ring = *n;
      }
    });
  }

  void on_host(const YAML::Node& k, const YAML::Node& v) {
    forget("output.on_host");
    mark("output.on_host", k);
    if (v.IsScalar()) {
      if (auto b = value(k, v, "output.on_host", parse_bool(v.Scalar()))) {
        spec_.output.on_host = *b;
        if (!*b) {
          spec_.output.datastore.clear();
          spec_.output.force_tmp = false;
        }
      }
      return;
    }
    if (!expect_map(k, v, "output.on_host", "datastore and optional force_tmp (or off)")) return;
    spec_.output.on_host = true;
    spec_.output.datastore.clear();
    spec_.output.force_tmp = false;
    each_key(v, "output.on_host", kOnHostKeys, [&](const std::string& key, const YAML::Node& hk, const YAML::Node& hv) {
      if (key == "datastore") {
        if (auto s = scalar(hk, hv, "output.on_host.datastore", "a datastore name or /vmfs/volumes/... path")) {
          if (s->empty() || !printable(*s) || s->size() > 1024) {
            error(loc(hv), "plan.bad-value", "'output.on_host.datastore': expected a datastore name like datastore1");
          } else {
            spec_.output.datastore = *s;
            mark("output.on_host.datastore", hv);
          }
        }
      } else if (auto s = scalar(hk, hv, "output.on_host.force_tmp", "true or false")) {
        if (auto b = value(hk, hv, "output.on_host.force_tmp", parse_bool(*s))) spec_.output.force_tmp = *b;
      }
    });
  }

  void drs(const YAML::Node& k, const YAML::Node& v) {
    const std::string expected = "manual, partiallyAutomated, fullyAutomated or none";
    if (v.IsMap()) {
      bool found = false;
      each_key(v, "drs", kDrsKeys, [&](const std::string&, const YAML::Node& dk, const YAML::Node& dv) {
        found = true;
        if (auto s = scalar(dk, dv, "drs.behavior", expected)) {
          if (auto d = value(dk, dv, "drs", parse_drs(*s))) spec_.drs = *d;
        }
      });
      if (!found) error(loc(v), "plan.missing", "'drs' has no behavior; expected behavior: " + expected);
      return;
    }
    if (auto s = scalar(k, v, "drs", expected)) {
      if (auto d = value(k, v, "drs", parse_drs(*s))) spec_.drs = *d;
    }
  }

  std::string file_;
  Mode mode_;
  model::SessionSpec& spec_;
  Diagnostics& diags_;
  std::map<std::string, Location>& marks_;
  std::set<std::string>& failed_;
};

bool is_path_like(const std::string& s) {
  return s.find('/') != std::string::npos || s.ends_with(".yaml") || s.ends_with(".yml");
}

const FileSource& files_of(const LoadOptions& options) {
  static const DiskFiles disk;
  return options.files ? *options.files : disk;
}

// The top-level section of a field: "output.rotation.ring" -> "output", "targets.vms[1]" -> "targets".
std::string section_of(const std::string& field) { return field.substr(0, field.find_first_of(".[")); }

// Reports cross-field problems at the field's own mark, else at its nearest marked parent.
// Problems in a section that already had errors are left out: they are most likely
// follow-ons of those errors (a rejected rotation.size makes "ring without rotation").
Location find_mark(const Trace& trace, std::string field, const std::string& file) {
  while (!field.empty()) {
    if (auto it = trace.marks.find(field); it != trace.marks.end()) return it->second;
    size_t cut = field.find_last_of(".[");
    field = cut == std::string::npos ? "" : field.substr(0, cut);
  }
  return Location{file, 1, 1};
}

// Reports cross-field problems at the field's own mark, else at its nearest marked parent;
// when the two settings in conflict are in different places (plan and policy), the plan's
// is the location and the other is named in the message.
// Problems in a section that already had errors are left out: they are most likely
// follow-ons of those errors (a rejected rotation.size makes "ring without rotation").
void map_problems(const std::vector<Problem>& problems, const Trace& trace, const std::string& file,
                  Diagnostics& diags) {
  std::set<std::string> failed_sections;
  for (const auto& f : trace.failed) failed_sections.insert(section_of(f));
  for (const auto& p : problems) {
    std::string sec = section_of(p.field);
    bool targets_failed = failed_sections.count("targets") > 0;
    bool skip = (p.field == "targets" || p.field == "stop.boots") ? targets_failed || failed_sections.count(sec) > 0
                : sec == "targets"                               ? false
                                                                 : failed_sections.count(sec) > 0;
    if (skip) continue;
    Location where = find_mark(trace, p.field, file);
    std::string message = p.message;
    if (!p.other.empty()) {
      Location other = find_mark(trace, p.other, file);
      if (where.file != file && other.file == file) std::swap(where, other);
      if (other.file != where.file) message += " (the other setting is at " + other.str() + ")";
    }
    diags.add(where, p.code, message);
  }
}

void apply_policy_impl(model::SessionSpec& spec, const std::string& name_or_path, const Location& where,
                       const fs::path& base_dir, const LoadOptions& options, Diagnostics& diags, Trace& trace) {
  const FileSource& files = files_of(options);
  const bool named = !name_or_path.empty();
  const std::string name = named ? name_or_path : "default";
  fs::path file;
  if (is_path_like(name)) {
    file = fs::path(name).is_absolute() ? fs::path(name) : base_dir / name;
  } else {
    bool ok = std::all_of(name.begin(), name.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
    });
    if (!ok || name.size() > 100) {
      diags.add(where, "plan.bad-value",
                "'policy': '" + name + "' is not a policy name; expected a name like long-run or a path to a .yaml file");
      return;
    }
    std::vector<std::string> available;
    for (const auto& dir : options.policy_dirs) {
      auto names = files.list_yaml(dir);
      if (file.empty() && std::find(names.begin(), names.end(), name + ".yaml") != names.end()) {
        file = dir / (name + ".yaml");
      }
      for (auto& n : names) available.push_back(n.substr(0, n.size() - 5));
    }
    if (file.empty()) {
      if (!named) {
        spec.policy = "builtin";
        return;
      }
      std::sort(available.begin(), available.end());
      available.erase(std::unique(available.begin(), available.end()), available.end());
      std::string msg = "policy '" + name + "' not found";
      const auto suggestion = closest(name, available);
      if (suggestion) msg += "; did you mean '" + *suggestion + "'?";
      if (available.empty()) {
        std::string dirs;
        for (const auto& d : options.policy_dirs) dirs += (dirs.empty() ? "" : ", ") + d.string();
        msg += "; no policies found in " + (dirs.empty() ? std::string("(no policy directories)") : dirs) +
               " (set VMC_POLICY_PATH, or give a path to a .yaml file)";
      } else {
        msg += std::string(suggestion ? " " : "; ") + "available: " + join_alternatives(available) +
               " (or give a path to a .yaml file)";
      }
      diags.add(where, "plan.policy-not-found", msg);
      return;
    }
  }
  auto text = files.read(file);
  if (!text) {
    diags.add(where, text.error().code, "policy '" + name + "': " + text.error().message);
    return;
  }
  auto root = parse_one_document(*text, file.string(), diags);
  if (root) {
    Loader loader(file.string(), Mode::Policy, spec, diags, trace);
    loader.apply(*root);
  }
  spec.policy = name;
}

}  // namespace

std::vector<fs::path> default_policy_dirs(const char* env_policy_path, const char* home) {
  std::vector<fs::path> dirs;
  if (env_policy_path) {
    std::string s = env_policy_path;
    size_t start = 0;
    while (start <= s.size()) {
      size_t end = s.find(':', start);
      if (end == std::string::npos) end = s.size();
      if (end > start) dirs.emplace_back(s.substr(start, end - start));
      start = end + 1;
    }
  }
  if (home && *home) dirs.push_back(fs::path(home) / ".config" / "vm-capture" / "policies");
  dirs.push_back(fs::path(VMC_SOURCE_DIR) / "policies");
  return dirs;
}

void apply_policy(model::SessionSpec& spec, const std::string& name_or_path, const Location& where,
                  const fs::path& base_dir, const LoadOptions& options, Diagnostics& diags) {
  Trace trace;
  apply_policy_impl(spec, name_or_path, where, base_dir, options, diags, trace);
}

LoadResult load_plan_text(std::string_view text, const std::string& display_name, const LoadOptions& options) {
  LoadResult result;
  Diagnostics& diags = result.diagnostics;
  model::SessionSpec spec;
  spec.source = display_name;
  spec.name = fs::path(display_name).stem().string();
  Trace trace;

  auto root = parse_one_document(text, display_name, diags);
  if (!root) return result;
  Loader loader(display_name, Mode::Plan, spec, diags, trace);

  // The policy comes first so that every key of the plan overrides it.
  std::string policy;
  Location policy_at{display_name, 1, 1};
  if (root->IsMap()) {
    for (const auto& entry : *root) {
      const YAML::Node k = entry.first;
      const YAML::Node v = entry.second;
      if (!k.IsScalar()) continue;
      const std::string key = k.Scalar();
      if (key == "policy" && policy.empty()) {
        policy_at = loader.loc(v.Mark().is_null() ? k : v);
        if (auto s = loader.scalar(k, v, "policy", "a policy name like long-run or a path")) {
          policy = s->empty() ? "default" : *s;
        } else {
          policy = "\x01";  // reported already; load no policy
        }
      } else if (key == "name") {
        if (auto s = loader.scalar(k, v, "name", "a short name for the session")) {
          if (s->empty() || s->size() > 200 || !printable(*s)) {
            diags.add(loader.loc(v), "plan.bad-value", "'name': expected a short line of text like dhcp-at-boot");
          } else {
            spec.name = *s;
          }
        }
      }
    }
  }
  if (policy != "\x01") {
    apply_policy_impl(spec, policy, policy_at, fs::path(display_name).parent_path(), options, diags, trace);
  }
  if (loader.apply(*root)) map_problems(check_spec(spec, SpecKind::Plan), trace, display_name, diags);
  if (diags.empty()) result.spec = std::move(spec);
  return result;
}

LoadResult load_plan_file(const fs::path& path, const LoadOptions& options) {
  auto text = files_of(options).read(path);
  if (!text) {
    LoadResult r;
    r.diagnostics.add(Location{path.string(), 0, 0}, text.error().code, text.error().message);
    return r;
  }
  return load_plan_text(*text, path.string(), options);
}

LoadResult load_policy_file(const fs::path& path, const LoadOptions& options) {
  LoadResult result;
  auto text = files_of(options).read(path);
  if (!text) {
    result.diagnostics.add(Location{path.string(), 0, 0}, text.error().code, text.error().message);
    return result;
  }
  model::SessionSpec spec;
  spec.name = path.stem().string();
  spec.policy = path.stem().string();
  spec.source = path.string();
  Trace trace;
  auto root = parse_one_document(*text, path.string(), result.diagnostics);
  if (!root) return result;
  Loader loader(path.string(), Mode::Policy, spec, result.diagnostics, trace);
  if (loader.apply(*root)) map_problems(check_spec(spec, SpecKind::Policy), trace, path.string(), result.diagnostics);
  if (result.diagnostics.empty()) result.spec = std::move(spec);
  return result;
}

}  // namespace vmc::plan
