#include "cli/cmd_plan.h"

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "plan/check.h"
#include "plan/plan_loader.h"

namespace vmc::cli {

namespace {

struct PlanArgs {
  std::vector<std::string> files;
  std::vector<std::string> policy_dirs;
  std::string run_file;
  bool as_policies = false;
};

plan::LoadOptions options_from(const std::vector<std::string>& extra_dirs) {
  plan::LoadOptions o;
  for (const auto& d : extra_dirs) o.policy_dirs.emplace_back(d);
  for (auto& d : plan::default_policy_dirs(std::getenv("VMC_POLICY_PATH"), std::getenv("HOME"))) {
    o.policy_dirs.push_back(std::move(d));
  }
  return o;
}

}  // namespace

void add_plan_command(CLI::App& app, int& exit_code, RunSession run) {
  auto args = std::make_shared<PlanArgs>();
  auto* plan = app.add_subcommand("plan", "Check or run YAML capture plans (see policies/README.md)");
  plan->require_subcommand(1);

  auto* check = plan->add_subcommand("check", "Validate plans and print what each would capture, or every problem");
  check->add_option("FILE", args->files, "Plan files (files in a policies/ folder are checked as policies)")
      ->required();
  check->add_option("--policy-dir", args->policy_dirs,
                    "Also look for policies here (before VMC_POLICY_PATH and the shipped policies/)");
  check->add_flag("--policy", args->as_policies, "Check the files as policies (default: by folder name)");
  check->callback([args, &exit_code] {
    std::vector<std::filesystem::path> files(args->files.begin(), args->files.end());
    exit_code = plan::check_files(files, options_from(args->policy_dirs), std::cout, std::cerr,
                                  args->as_policies ? plan::FileKind::Policy : plan::FileKind::Auto);
  });

  auto* run_cmd = plan->add_subcommand("run", "Run the capture session a plan describes");
  run_cmd->add_option("FILE", args->run_file, "Plan file")->required();
  run_cmd->add_option("--policy-dir", args->policy_dirs, "Also look for policies here");
  run_cmd->callback([args, &exit_code, run] {
    auto result = plan::load_plan_file(args->run_file, options_from(args->policy_dirs));
    if (!result.spec) {
      std::cerr << result.diagnostics.str() << args->run_file << ": not run; fix the problems above first\n";
      exit_code = 1;
      return;
    }
    if (!run) {
      std::cerr << "capture plan run: running sessions is not available in this build\n";
      exit_code = 2;
      return;
    }
    exit_code = run(*result.spec);
  });
}

}  // namespace vmc::cli
