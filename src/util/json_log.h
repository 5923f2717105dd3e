// Log lines as JSON (`--json`): one object per line, {"time":...,"level":...,"msg":...},
// valid JSON whatever the message holds (quotes, backslashes, control characters, bytes
// that are not UTF-8), since messages carry VM names, host output and server errors.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <spdlog/formatter.h>

namespace vmc::util {

/// `s` as a JSON string literal, quotes included: '"' and '\' escaped, control characters
/// as \n, \t, ... or \u00XX, bytes that are not UTF-8 as \ufffd.
std::string json_quote(std::string_view s);

/// spdlog formatter writing {"time":"2026-11-26T07:25:00.123456Z","level":"info",
/// "msg":"..."} and a newline for each message (time in UTC, microseconds).
class JsonLogFormatter : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override;
  std::unique_ptr<spdlog::formatter> clone() const override;
};

}  // namespace vmc::util
