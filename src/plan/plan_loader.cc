#include "plan/plan_loader.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include "plan/plan_sections.h"
#include "plan/spec_checks.h"
#include "plan/suggest.h"
#include "plan/values.h"
#include "plan/yaml_text.h"

namespace vmc::plan {

namespace {

namespace fs = std::filesystem;
using sections::Loader;
using sections::Mode;
using sections::Trace;
using sections::printable;

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
