// "did you mean ...?" for misspelt keys and values.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vmc::plan {

/// Levenshtein distance, case-insensitive.
size_t edit_distance(std::string_view a, std::string_view b);

/// The candidate closest to `word` if it is close enough to be a likely typo
/// (distance at most 1 for short words, at most a third of the length otherwise).
std::optional<std::string> closest(std::string_view word, const std::vector<std::string>& candidates);

/// "a, b or c"
std::string join_alternatives(const std::vector<std::string>& items);

}  // namespace vmc::plan
