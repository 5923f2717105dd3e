#include "util/json_log.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include <spdlog/details/log_msg.h>

namespace vmc::util {
namespace {

// Every message a log line may carry: server errors, host output, VM names.
const std::string kHostile[] = {
    "plain",
    "quote \" inside",
    "backslash \\ and \\\" together",
    "newline\nand\r\ntab\t",
    std::string("nul \0 byte", 10),
    "bell \x07 escape \x1b[31mred\x1b[0m del \x7f",
    "not utf-8: caf\xE9 \xFF\xFE \xC0\xAF cut \xE2\x82",
    "valid utf-8: caf\xC3\xA9 \xE2\x82\xAC",
    "{\"msg\":\"forged\"}",
    "",
};

std::string format_line(const std::string& payload, spdlog::level::level_enum level) {
  const auto t = std::chrono::system_clock::time_point{} + std::chrono::microseconds(1795677900123456);
  spdlog::details::log_msg msg(t, spdlog::source_loc{}, "vm-capture", level,
                               spdlog::string_view_t(payload.data(), payload.size()));
  JsonLogFormatter f;
  spdlog::memory_buf_t buf;
  f.format(msg, buf);
  return std::string(buf.data(), buf.size());
}

TEST(JsonLog, EveryLineParsesBackWhateverTheMessageHolds) {
  for (const auto& payload : kHostile) {
    SCOPED_TRACE(payload);
    const std::string line = format_line(payload, spdlog::level::warn);
    ASSERT_FALSE(line.empty());
    EXPECT_EQ('\n', line.back());
    EXPECT_EQ(std::string::npos, line.substr(0, line.size() - 1).find('\n'));
    auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    ASSERT_FALSE(j.is_discarded()) << line;
    ASSERT_TRUE(j.is_object());
    EXPECT_EQ(3u, j.size());
    EXPECT_EQ("warning", j.value("level", ""));
    EXPECT_EQ("2026-11-26T07:25:00.123456Z", j.value("time", ""));
    // Valid UTF-8 comes back exactly; other bytes as U+FFFD.
    const std::string msg = j.value("msg", "");
    if (payload.find('\xE9') == std::string::npos) {
      EXPECT_EQ(payload, msg);
    } else {
      EXPECT_EQ("not utf-8: caf\xEF\xBF\xBD \xEF\xBF\xBD\xEF\xBF\xBD \xEF\xBF\xBD\xEF\xBF\xBD cut "
                "\xEF\xBF\xBD\xEF\xBF\xBD",
                msg);
    }
  }
}

TEST(JsonLog, ControlCharactersNeverReachTheLineRaw) {
  const std::string line = format_line("a\x1b[2Jb\x7f", spdlog::level::info);
  for (unsigned char c : line.substr(0, line.size() - 1)) {
    EXPECT_TRUE(c >= 0x20 && c != 0x7f) << "raw control byte " << static_cast<int>(c) << " in " << line;
  }
  EXPECT_NE(std::string::npos, line.find("a\\u001b[2Jb\\u007f")) << line;
}

TEST(JsonLog, QuoteEscapesWhatJsonRequires) {
  EXPECT_EQ("\"\"", json_quote(""));
  EXPECT_EQ(R"("a\"b\\c\n")", json_quote("a\"b\\c\n"));
  EXPECT_EQ(R"("\u0001\ufffd")", json_quote("\x01\xFF"));
}

}  // namespace
}  // namespace vmc::util
