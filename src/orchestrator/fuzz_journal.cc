// libFuzzer target: arbitrary bytes as a session journal, the file `capture status` and
// `capture cleanup` read back after a crash (it may be torn, edited or corrupt). Every
// line goes through parse_journal_line as read_journal splits them; a record that parses
// must survive the round trip through to_json_line unchanged.
#include <cstddef>
#include <cstdint>
#include <string>

#include "orchestrator/journal.h"

namespace {

void check_round_trip(const vmc::orchestrator::JournalRecord& r) {
  const std::string line = vmc::orchestrator::to_json_line(r);
  auto again = vmc::orchestrator::parse_journal_line(line);
  if (!again) __builtin_trap();  // what we write, we must read
  if (vmc::orchestrator::to_json_line(*again) != line) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string content(reinterpret_cast<const char*>(data), size);
  size_t start = 0;
  while (start < content.size()) {
    size_t nl = content.find('\n', start);
    if (nl == std::string::npos) nl = content.size();
    const std::string line = content.substr(start, nl - start);
    start = nl + 1;
    if (line.empty()) continue;
    auto r = vmc::orchestrator::parse_journal_line(line);
    if (r) check_round_trip(*r);
  }
  (void)vmc::orchestrator::parse_time(content);
  return 0;
}
