#include "cli/cmd_merge.h"

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "capture/merge_files.h"

namespace vmc::cli {
namespace {

struct MergeArgs {
  std::vector<std::string> inputs;
  std::string output;
  bool concatenate = false;
  uint32_t snaplen = 0;
  double reorder_ms = 0;
  double dedup_ms = -1;
  bool verbose = false;
};

int run_merge(const MergeArgs& a) {
  capture::MergeFilesOptions o;
  o.inputs = a.inputs;
  o.output = a.output;
  o.snaplen = a.snaplen;
  o.merge.concatenate = a.concatenate;
  o.merge.reorder_window_ns = static_cast<int64_t>(a.reorder_ms * 1e6);
  o.merge.dedup_window_ns = a.dedup_ms < 0 ? -1 : static_cast<int64_t>(a.dedup_ms * 1e6);
  auto r = capture::merge_files(o);
  if (!r) {
    std::fprintf(stderr, "capture merge: %s\n", r.error().message.c_str());
    return 1;
  }
  const auto& st = r->stats;
  for (const auto& e : st.source_errors)
    std::fprintf(stderr, "capture merge: %s\n", e.message.c_str());
  if (a.verbose || !st.source_errors.empty()) {
    std::fprintf(stderr,
                 "capture merge: wrote %llu frames (%llu bytes) to %s; %llu duplicates "
                 "removed, %llu out-of-order frames put back\n",
                 static_cast<unsigned long long>(st.frames_out),
                 static_cast<unsigned long long>(r->bytes_written),
                 a.output == "-" ? "standard output" : a.output.c_str(),
                 static_cast<unsigned long long>(st.duplicates),
                 static_cast<unsigned long long>(st.reordered));
  }
  return st.source_errors.empty() ? 0 : 1;
}

}  // namespace

void add_merge_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<MergeArgs>();
  auto* cmd = app.add_subcommand(
      "merge",
      "Merge pcap/pcapng files into one chronological pcapng (like mergecap); each input "
      "becomes one interface named after its file");
  cmd->add_option("IN", args->inputs, "Input files (pcap or pcapng; - for standard input)")
      ->required()
      ->expected(1, -1);
  cmd->add_option("-w,--write", args->output, "Output pcapng file; - for standard output")
      ->required();
  cmd->add_flag("-a,--append", args->concatenate,
                "Concatenate the inputs in the order given instead of merging by time");
  cmd->add_option("-s,--snaplen", args->snaplen, "Cut frames to this many bytes (0 = whole)");
  cmd->add_option("--reorder-window", args->reorder_ms,
                  "Put back frames up to this many milliseconds out of order in an input "
                  "(default 0: inputs taken as they are, like mergecap)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--dedup-window", args->dedup_ms,
                  "Drop a frame whose exact copy came from another input within this many "
                  "milliseconds (default: keep all)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_flag("-v,--verbose", args->verbose, "Print counts when done");
  cmd->callback([args, &exit_code] { exit_code = run_merge(*args); });
}

}  // namespace vmc::cli
