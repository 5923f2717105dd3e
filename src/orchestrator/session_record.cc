#include "orchestrator/session_record.h"

#include <spdlog/spdlog.h>

namespace vmc::orchestrator {

void SessionRecord::comment(const std::string& text) {
  spdlog::info("{}", text);
  sink_.comment(clock_.now(), text);
}

void SessionRecord::pass_comments(const std::vector<std::string>& texts) {
  std::set<std::string> now;
  for (const auto& t : texts) {
    now.insert(t);
    if (!last_pass_comments_.count(t)) comment(t);
  }
  last_pass_comments_ = std::move(now);
}

void SessionRecord::journal(const JournalRecord& r) {
  if (auto s = journal_.append(r); !s)
    comment(s.error().message + "; a later `capture cleanup` may not know about this step");
}

void SessionRecord::error(std::string text, bool first) {
  errors_.insert(first ? errors_.begin() : errors_.end(), std::move(text));
}

}  // namespace vmc::orchestrator
