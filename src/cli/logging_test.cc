#include "cli/logging.h"

#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

namespace vmc::cli {
namespace {

// Runs `log` with stderr sent to a file; returns what was written there.
template <typename F>
std::string stderr_of(F log) {
  std::string path = ::testing::TempDir() + "vmc-logging-XXXXXX";
  int fd = ::mkstemp(path.data());
  EXPECT_GE(fd, 0);
  std::fflush(stderr);
  int saved = ::dup(2);
  ::dup2(fd, 2);
  log();
  spdlog::default_logger()->flush();
  std::fflush(stderr);
  ::dup2(saved, 2);
  ::close(saved);
  ::close(fd);
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  ::unlink(path.c_str());
  return ss.str();
}

TEST(Logging, JsonLinesAreValidJsonWhateverTheMessageHolds) {
  session::GlobalOptions g;
  g.json_logs = true;
  const std::vector<std::string> messages = {
      "VM \"testvm1\" not found",
      "path C:\\vms\\x",
      "host said: line1\nline2\ttab \x1b[31mred",
      "name caf\xE9 \xFF",
  };
  const std::string err = stderr_of([&] {
    configure_logging(g);
    for (const auto& m : messages) spdlog::error("{}", m);
  });
  std::istringstream lines(err);
  std::string line;
  size_t n = 0;
  while (std::getline(lines, line)) {
    SCOPED_TRACE(line);
    auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    ASSERT_FALSE(j.is_discarded()) << "not JSON: " << line;
    EXPECT_EQ("error", j.value("level", ""));
    ASSERT_LT(n, messages.size());
    if (n < 3) {
      EXPECT_EQ(messages[n], j.value("msg", ""));
    }
    ++n;
  }
  EXPECT_EQ(messages.size(), n) << err;
}

TEST(Logging, PlainLinesAndLevelsFollowTheFlags) {
  session::GlobalOptions g;
  g.quiet = true;
  const std::string err = stderr_of([&] {
    configure_logging(g);
    spdlog::info("hidden by -q");
    spdlog::warn("shown");
  });
  EXPECT_EQ(std::string::npos, err.find("hidden by -q")) << err;
  EXPECT_NE(std::string::npos, err.find("warning shown")) << err;
  EXPECT_EQ(std::string::npos, err.find('{')) << err;
}

}  // namespace
}  // namespace vmc::cli
