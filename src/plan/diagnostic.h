// Problems found in a plan, a policy or `capture vm` flags. Validation collects every
// problem instead of stopping at the first, so the user fixes them all in one pass.
#pragma once

#include <string>
#include <vector>

namespace vmc::plan {

/// Where a problem is: "examples/x.yaml:12:5" for a plan, "--duration" for a flag.
/// `line` and `column` are 1-based; 0 when there is no position (a missing file).
struct Location {
  std::string file;
  int line = 0;
  int column = 0;
  std::string str() const;
  friend bool operator==(const Location&, const Location&) = default;
};

struct Diagnostic {
  Location where;
  std::string code;     // stable token: "plan.unknown-key", "plan.bad-value", ...
  std::string message;  // the full sentence: what is wrong and what is expected
  /// "examples/x.yaml:12:5: unknown key 'diretion' in 'capture'; ..."
  std::string str() const;
};

/// Collects diagnostics in the order they are found.
class Diagnostics {
 public:
  void add(Location where, std::string code, std::string message);
  bool empty() const { return items_.empty(); }
  size_t size() const { return items_.size(); }
  const std::vector<Diagnostic>& items() const { return items_; }
  /// Every diagnostic on its own line.
  std::string str() const;

 private:
  std::vector<Diagnostic> items_;
};

}  // namespace vmc::plan
