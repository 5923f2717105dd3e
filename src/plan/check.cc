#include "plan/check.h"

#include "plan/summary.h"

namespace vmc::plan {

int check_files(const std::vector<std::filesystem::path>& files, const LoadOptions& options, std::ostream& out,
                std::ostream& err, FileKind kind) {
  int bad = 0;
  for (const auto& f : files) {
    bool policy = kind == FileKind::Policy || (kind == FileKind::Auto && f.parent_path().filename() == "policies");
    LoadResult r = policy ? load_policy_file(f, options) : load_plan_file(f, options);
    if (r.spec) {
      out << f.string() << ": OK (" << (policy ? "policy" : "plan") << ")\n" << describe(*r.spec);
    } else {
      ++bad;
      err << r.diagnostics.str();
      err << f.string() << ": " << r.diagnostics.size() << (r.diagnostics.size() == 1 ? " problem" : " problems")
          << "\n";
    }
  }
  return bad == 0 ? 0 : 1;
}

}  // namespace vmc::plan
