// Quoting for POSIX sh: the remote side of an SSH exec channel is always a shell, so
// every argument vector sent to a host is turned into one command line here and only here.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "util/result.h"

namespace vmc::util {

/// Returns `s` as exactly one POSIX sh word that the shell turns back into `s`.
/// Words made only of [A-Za-z0-9_@%+=:,./-] (and not empty) are returned as they are;
/// everything else is wrapped in single quotes, each ' written as '\''.
/// `s` must not contain a NUL byte (no shell can receive one); see shell_join.
std::string shell_quote(std::string_view s);

/// Quotes every element and joins them with single spaces. Fails with code
/// "shell.nul" when an argument contains a NUL byte, naming the argument's index.
Result<std::string> shell_join(const std::vector<std::string>& argv);

}  // namespace vmc::util
