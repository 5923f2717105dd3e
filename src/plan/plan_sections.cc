#include "plan/plan_sections.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>

#include "plan/filter_keys.h"
#include "plan/spec_checks.h"
#include "plan/values.h"

// The general sections of a plan or policy: description, capture, filter, stop, output
// (rotation, on_host), drs, bridge.

namespace vmc::plan::sections {

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

bool Loader::apply(const YAML::Node& root) {
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

void Loader::error(Location where, std::string code, std::string message) {
  diags_.add(std::move(where), std::move(code), std::move(message));
}

std::optional<std::string> Loader::scalar(const YAML::Node& k, const YAML::Node& v, const std::string& field,
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

Location Loader::loc_value(const YAML::Node& k, const YAML::Node& v) const {
  return (v.IsNull() || v.Mark().is_null()) ? loc(k) : loc(v);
}

void Loader::section(const std::string& key, const YAML::Node& k, const YAML::Node& v) {
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

void Loader::forget(const std::string& prefix) {
  for (auto it = marks_.begin(); it != marks_.end();) {
    if (it->first.rfind(prefix, 0) == 0) {
      it = marks_.erase(it);
    } else {
      ++it;
    }
  }
}

bool Loader::expect_list(const YAML::Node& k, const YAML::Node& v, const std::string& field,
                         const std::string& shape) {
  if (!v.IsSequence()) {
    error(loc_value(k, v), v.IsNull() ? "plan.missing" : "plan.bad-type",
          "'" + field + "' must be a list of " + shape + ", not " + kind_of(v));
    return false;
  }
  if (v.size() > kMaxListItems) {
    error(loc(v), "plan.too-many", "'" + field + "' has more than " + std::to_string(kMaxListItems) + " entries");
    return false;
  }
  return true;
}

bool Loader::expect_map(const YAML::Node& k, const YAML::Node& v, const std::string& field, const std::string& keys) {
  if (v.IsMap()) return true;
  failed_.insert(field);
  if (v.IsNull()) {
    error(loc_value(k, v), "plan.missing", "'" + field + "' has no value; expected a mapping with " + keys);
  } else {
    error(loc(v), "plan.bad-type", "'" + field + "' must be a mapping with " + keys + ", not " + kind_of(v));
  }
  return false;
}

std::vector<std::pair<std::string, YAML::Node>> Loader::scalar_list(const YAML::Node& k, const YAML::Node& v,
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

void Loader::capture(const YAML::Node& k, const YAML::Node& v) {
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

void Loader::filter(const YAML::Node& k, const YAML::Node& v) {
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

void Loader::stop(const YAML::Node& k, const YAML::Node& v) {
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

void Loader::output(const YAML::Node& k, const YAML::Node& v) {
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

void Loader::rotation(const YAML::Node& k, const YAML::Node& v) {
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

void Loader::on_host(const YAML::Node& k, const YAML::Node& v) {
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

void Loader::drs(const YAML::Node& k, const YAML::Node& v) {
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

}  // namespace vmc::plan::sections
