// YAML text -> one yaml-cpp document, with syntax errors as diagnostics at file:line:column.
#pragma once

#include <yaml-cpp/yaml.h>

#include <optional>
#include <string>
#include <string_view>

#include "plan/diagnostic.h"

namespace vmc::plan {

/// 1-based location of a yaml-cpp mark (0:0 when the mark is null).
Location location_of(const std::string& file, const YAML::Mark& mark);

/// Parses `text` as exactly one YAML document. Syntax errors, more than one document and
/// too deep nesting are reported into `diags` (code "plan.syntax") and give nullopt; an
/// empty text gives a Null node.
std::optional<YAML::Node> parse_one_document(std::string_view text, const std::string& file, Diagnostics& diags);

}  // namespace vmc::plan
