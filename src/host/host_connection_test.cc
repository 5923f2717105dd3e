#include "host/host_connection.h"

#include <gtest/gtest.h>

namespace vmc::host {
namespace {

TEST(LineSplitter, SplitsAcrossChunksAndCaps) {
  LineSplitter s(8);
  std::vector<std::string> lines;
  auto add = [&](std::string_view l) { lines.emplace_back(l); };
  s.feed("Done", add);
  s.feed(".\r\nab", add);
  s.feed("c\n\n0123456789", add);
  s.finish(add);
  EXPECT_EQ(lines, (std::vector<std::string>{"Done.", "abc", "", "01234567", "89"}));
}

}  // namespace
}  // namespace vmc::host
