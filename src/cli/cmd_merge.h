// `capture merge IN... -w OUT`: mergecap-like merge of users' pcap/pcapng files into
// one pcapng. The merge itself is capture/merge_files.
#pragma once

#include <CLI/CLI.hpp>

namespace vmc::cli {

/// Adds the `merge` subcommand to `app`. When it runs, it stores its exit code in
/// `exit_code` (0 = merged; 1 = failed, or an input was damaged: the frames before
/// the damage were still written), which must outlive app.parse().
void add_merge_command(CLI::App& app, int& exit_code);

}  // namespace vmc::cli
