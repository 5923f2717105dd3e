// YAML plans and policies -> SessionSpec. A plan names a policy (a YAML file of defaults
// in one of the policy directories, or a path); the policy is applied first and the plan
// overrides it key by key (`capture.filter`, `output.rotation` and the target lists are
// replaced as a whole). Every problem in both files is collected and reported with its
// file:line:column; the spec is returned only when there are none. The schema is in
// policies/README.md.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/session_spec.h"
#include "plan/diagnostic.h"
#include "plan/file_source.h"

namespace vmc::plan {

struct LoadOptions {
  /// Searched in order for `policy: NAME` (NAME.yaml).
  std::vector<std::filesystem::path> policy_dirs;
  /// Reads the files; nullptr = the file system.
  const FileSource* files = nullptr;
};

struct LoadResult {
  std::optional<model::SessionSpec> spec;  // set only when there are no diagnostics
  Diagnostics diagnostics;
};

/// The policy directories: each entry of `env_policy_path` (VMC_POLICY_PATH, ':'-separated),
/// then $HOME/.config/vm-capture/policies, then the shipped policies/ of this build.
/// Null arguments are skipped.
std::vector<std::filesystem::path> default_policy_dirs(const char* env_policy_path, const char* home);

/// Loads the plan at `path` (shown in messages as given).
LoadResult load_plan_file(const std::filesystem::path& path, const LoadOptions& options);

/// Loads a plan from text; `display_name` is used in messages and relative policy paths
/// are resolved against its directory.
LoadResult load_plan_text(std::string_view text, const std::string& display_name, const LoadOptions& options);

/// Loads a policy file on its own (as `capture plan check` does for policies/*.yaml).
LoadResult load_policy_file(const std::filesystem::path& path, const LoadOptions& options);

/// Applies policy `name_or_path` (empty = "default", built-in defaults if no default.yaml
/// exists) on top of `spec`, reporting problems into `diags`. `where` is the location of the
/// reference, `base_dir` resolves relative paths. Sets spec.policy. Used by plans and by
/// `capture vm --policy`.
void apply_policy(model::SessionSpec& spec, const std::string& name_or_path, const Location& where,
                  const std::filesystem::path& base_dir, const LoadOptions& options, Diagnostics& diags);

}  // namespace vmc::plan
