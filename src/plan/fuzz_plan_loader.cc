// libFuzzer entry point: arbitrary bytes as a plan (and as a policy it names), plus the
// value parsers on the same bytes. Nothing may crash, hang or leak; a plan that loads
// must pass its own whole-spec checks.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "plan/filter_keys.h"
#include "plan/plan_loader.h"
#include "plan/spec_checks.h"
#include "plan/testing_files.h"
#include "plan/values.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  vmc::plan::testing::MemoryFiles files;
  files.files["pol/p.yaml"] = text;
  vmc::plan::LoadOptions options;
  options.files = &files;
  options.policy_dirs = {"pol"};

  auto plan = vmc::plan::load_plan_text(text, "fuzz.yaml", options);
  if (plan.spec && !vmc::plan::check_spec(*plan.spec, vmc::plan::SpecKind::Plan).empty()) std::abort();
  if (!plan.spec && plan.diagnostics.empty()) std::abort();
  auto with_policy = vmc::plan::load_plan_text("policy: p\ntargets: {vms: [a]}\n", "fuzz.yaml", options);
  if (!with_policy.spec && with_policy.diagnostics.empty()) std::abort();

  (void)vmc::plan::parse_duration(text);
  (void)vmc::plan::parse_size(text);
  (void)vmc::plan::parse_ipv4(text, true);
  (void)vmc::plan::parse_ethtype(text);
  vmc::model::Filter f;
  for (const auto& key : vmc::plan::filter_keys()) (void)vmc::plan::set_filter_key(f, key, text);
  return 0;
}
