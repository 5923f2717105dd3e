#include "plan/diagnostic.h"

namespace vmc::plan {

std::string Location::str() const {
  std::string s = file;
  if (line > 0) {
    s += ":" + std::to_string(line);
    if (column > 0) s += ":" + std::to_string(column);
  }
  return s;
}

std::string Diagnostic::str() const {
  std::string w = where.str();
  return w.empty() ? message : w + ": " + message;
}

void Diagnostics::add(Location where, std::string code, std::string message) {
  items_.push_back(Diagnostic{std::move(where), std::move(code), std::move(message)});
}

std::string Diagnostics::str() const {
  std::string s;
  for (const auto& d : items_) s += d.str() + "\n";
  return s;
}

}  // namespace vmc::plan
