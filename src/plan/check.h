// `capture plan check FILE...`: loads each plan (files in a folder named policies/ as
// policies) and prints what it would capture, or every problem found.
#pragma once

#include <filesystem>
#include <ostream>
#include <vector>

#include "plan/plan_loader.h"

namespace vmc::plan {

enum class FileKind {
  Auto,    // policies when the file's folder is named "policies", plans otherwise
  Plan,
  Policy,
};

/// Prints a summary of each valid file to `out` and every diagnostic to `err`.
/// Returns 0 when every file is valid, 1 otherwise.
int check_files(const std::vector<std::filesystem::path>& files, const LoadOptions& options, std::ostream& out,
                std::ostream& err, FileKind kind = FileKind::Auto);

}  // namespace vmc::plan
