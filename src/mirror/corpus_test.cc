// The fuzz target's seeds (tests/fuzz/corpus/fuzz_erspan, made by
// tests/ci/make_corpus.py) are valid mirrored packets: each decapsulates.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

#include "mirror/decap.h"
#include "mirror/link.h"

namespace vmc::mirror {
namespace {

TEST(FuzzSeeds, EveryOneDecapsulates) {
  const std::filesystem::path dir = std::filesystem::path(VMC_SOURCE_DIR) / "tests/fuzz/corpus/fuzz_erspan";
  static constexpr int kLinks[] = {kLinkIpv4, kLinkEthernet, kLinkLinuxCooked, kLinkLinuxCooked2};
  int n = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    std::ifstream in(e.path(), std::ios::binary);
    std::vector<uint8_t> b((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    ASSERT_FALSE(b.empty()) << e.path();
    auto ip = ipv4_in_link_frame(kLinks[b[0] % 4], std::span(b).subspan(1));
    ASSERT_TRUE(ip.ok()) << e.path() << ": " << ip.error().message;
    auto d = decapsulate(*ip);
    ASSERT_TRUE(d.ok()) << e.path() << ": " << d.error().message;
    EXPECT_EQ(format_ipv4(d->outer_source), "127.0.1.1") << e.path();
    EXPECT_EQ(d->frame.size(), 42u) << e.path();  // make_corpus.py's frame()
    ++n;
  }
  EXPECT_GE(n, 16);
}

}  // namespace
}  // namespace vmc::mirror
