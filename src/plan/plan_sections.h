// The sections of a plan or policy document applied onto a SessionSpec by one Loader:
// every problem is collected with its file:line:column, and where each field was set is
// remembered for the checks across fields. Internal to src/plan: plan_loader.cc drives
// it, plan_sections.cc holds the general sections and plan_targets.cc the targets.
#pragma once

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "model/session_spec.h"
#include "plan/diagnostic.h"
#include "plan/suggest.h"
#include "plan/yaml_text.h"
#include "util/result.h"

namespace vmc::plan::sections {

// Where each field of the spec was last set (for problems found across fields), and the
// fields whose value was rejected (so that no follow-on problem is reported for them).
struct Trace {
  std::map<std::string, Location> marks;
  std::set<std::string> failed;
};

enum class Mode { Plan, Policy };

inline constexpr size_t kMaxListItems = 256;

inline const std::vector<std::string> kTopKeys{"name",    "description", "policy", "targets", "capture",
                                        "stop",    "output",      "drs",    "bridge"};
inline const std::vector<std::string> kTargetKeys{"vms", "uplinks"};
inline const std::vector<std::string> kVmKeys{"vm", "name", "path", "moref", "mac", "nics"};
inline const std::vector<std::string> kUplinkKeys{"host", "vmnics", "lag"};
inline const std::vector<std::string> kCaptureKeys{"direction", "point", "stage", "filter"};
inline const std::vector<std::string> kStopKeys{"duration", "packets", "size", "boots"};
inline const std::vector<std::string> kOutputKeys{"path", "snaplen", "rotation", "on_host"};
inline const std::vector<std::string> kRotationKeys{"size", "time", "packets", "ring"};
inline const std::vector<std::string> kOnHostKeys{"datastore", "force_tmp"};
inline const std::vector<std::string> kDrsKeys{"behavior"};

/// "empty", "a single value", "a list", "a mapping".
const char* kind_of(const YAML::Node& n);
/// "none" or "off", in any case.
bool is_none(const std::string& s);
/// No control characters.
bool printable(const std::string& s);

class Loader {
 public:
  Loader(std::string file, Mode mode, model::SessionSpec& spec, Diagnostics& diags, Trace& trace)
      : file_(std::move(file)), mode_(mode), spec_(spec), diags_(diags), marks_(trace.marks), failed_(trace.failed) {}

  // Applies every key of the document `root` onto the spec. In plan mode `policy` and
  // `name` are skipped here: the caller handles them before (the policy must come first).
  // Returns false when the document is not a mapping at all.
  bool apply(const YAML::Node& root);

  Location loc(const YAML::Node& n) const { return location_of(file_, n.Mark()); }

  void error(Location where, std::string code, std::string message);

  // The value of `v` as a string, or an error if it is not a single value.
  std::optional<std::string> scalar(const YAML::Node& k, const YAML::Node& v, const std::string& field,
                                    const std::string& expected);

 private:
  Location loc_value(const YAML::Node& k, const YAML::Node& v) const;

  void section(const std::string& key, const YAML::Node& k, const YAML::Node& v);

  void mark(const std::string& field, const YAML::Node& n) { marks_[field] = loc(n); }

  // Forgets the marks of a section that is being replaced as a whole.
  void forget(const std::string& prefix);

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

  // Whether `v` is a list of at most kMaxListItems entries for `field`; says why not.
  bool expect_list(const YAML::Node& k, const YAML::Node& v, const std::string& field, const std::string& shape);

  bool expect_map(const YAML::Node& k, const YAML::Node& v, const std::string& field, const std::string& keys);

  // A list of scalars (a single scalar counts as a list of one).
  std::vector<std::pair<std::string, YAML::Node>> scalar_list(const YAML::Node& k, const YAML::Node& v,
                                                              const std::string& field, const std::string& item);

  void targets(const YAML::Node& k, const YAML::Node& v);

  void vms(const YAML::Node& k, const YAML::Node& v);

  // Returns the normalized reference, or nullopt after reporting why it is not valid.
  std::optional<std::string> vm_ref(const std::string& how, const YAML::Node& n, const std::string& field);

  void add_vm_scalar(const YAML::Node& n, const std::string& field);

  void add_vm_map(const YAML::Node& n, const std::string& field);

  void uplinks(const YAML::Node& k, const YAML::Node& v);

  void capture(const YAML::Node& k, const YAML::Node& v);

  void filter(const YAML::Node& k, const YAML::Node& v);

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

  void stop(const YAML::Node& k, const YAML::Node& v);

  void output(const YAML::Node& k, const YAML::Node& v);

  void rotation(const YAML::Node& k, const YAML::Node& v);

  void on_host(const YAML::Node& k, const YAML::Node& v);

  void drs(const YAML::Node& k, const YAML::Node& v);

  std::string file_;
  Mode mode_;
  model::SessionSpec& spec_;
  Diagnostics& diags_;
  std::map<std::string, Location>& marks_;
  std::set<std::string>& failed_;
};

}  // namespace vmc::plan::sections
