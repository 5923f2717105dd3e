// The host-output part of the bad-input corpus (issue 8): malformed, truncated,
// misaligned, wrong-command and non-UTF-8 outputs of esxcli (and of net-stats and
// `vmware -vl`), each with the clear error its parser must give. Cases are files under
// tests/corpus/host: NAME.txt (the output bytes) and NAME.expected (key: value lines):
//
//   parser: vm_list | vm_port_list | net_stats | vmware_vl
//   format: table | blocks | csv | keyvalue | xml     (default: detected, as in production)
//   code: <error code>
//   message: text       must appear in the error message (repeatable)
//
// Every message must also be valid UTF-8 without control bytes, whatever bytes the
// output held, and short enough to read in a log line.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "host/esxcli_vm.h"
#include "host/esxi_version.h"
#include "host/netstats.h"
#include "host/text.h"

namespace vmc::host {
namespace {

namespace fs = std::filesystem;

const fs::path kDir = fs::path(VMC_SOURCE_DIR) / "tests/corpus/host";

std::string read_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct Expected {
  std::string parser, format, code;
  std::vector<std::string> message;
};

Expected parse_expected(const fs::path& p) {
  Expected e;
  std::istringstream in(read_bytes(p));
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    auto colon = line.find(": ");
    if (colon == std::string::npos) {
      ADD_FAILURE() << p << ": not a key: value line: " << line;
      continue;
    }
    std::string k = line.substr(0, colon), v = line.substr(colon + 2);
    if (k == "parser") e.parser = v;
    else if (k == "format") e.format = v;
    else if (k == "code") e.code = v;
    else if (k == "message") e.message.push_back(v);
    else ADD_FAILURE() << p << ": unknown key " << k;
  }
  return e;
}

EsxcliFormat format_of(const std::string& f) {
  if (f == "table") return EsxcliFormat::Table;
  if (f == "blocks") return EsxcliFormat::Blocks;
  if (f == "csv") return EsxcliFormat::Csv;
  if (f == "keyvalue") return EsxcliFormat::KeyValue;
  if (f == "xml") return EsxcliFormat::Xml;
  return EsxcliFormat::Auto;
}

/// The parser's error, or a description of what it wrongly accepted.
Result<std::string> run_parser(const Expected& e, const std::string& text) {
  auto fmt = format_of(e.format);
  if (e.parser == "vm_list") {
    auto r = parse_vm_list(text, fmt);
    if (!r) return r.error();
    return std::to_string(r->size()) + " VM(s)";
  }
  if (e.parser == "vm_port_list") {
    auto r = parse_vm_port_list(text, fmt);
    if (!r) return r.error();
    return std::to_string(r->size()) + " port(s)";
  }
  if (e.parser == "net_stats") {
    auto r = parse_net_stats_list(text);
    if (!r) return r.error();
    return std::to_string(r->size()) + " port(s)";
  }
  if (e.parser == "vmware_vl") {
    auto r = parse_vmware_vl(text);
    if (!r) return r.error();
    return "version " + r->version;
  }
  return Error("test", "unknown parser " + e.parser);
}

TEST(HostOutputBadInputCorpus, EveryOutputGetsItsClearError) {
  std::vector<fs::path> all;
  for (const auto& d : fs::directory_iterator(kDir)) {
    if (d.path().extension() == ".expected") all.push_back(d.path());
  }
  std::sort(all.begin(), all.end());
  ASSERT_GE(all.size(), 15u) << "the corpus went missing";
  for (const auto& exp_file : all) {
    const std::string name = exp_file.stem().string();
    SCOPED_TRACE(name);
    fs::path text_file = exp_file;
    text_file.replace_extension(".txt");
    ASSERT_TRUE(fs::exists(text_file)) << name << " has no .txt file";
    const Expected e = parse_expected(exp_file);
    ASSERT_FALSE(e.parser.empty());
    ASSERT_FALSE(e.code.empty());
    auto r = run_parser(e, read_bytes(text_file));
    ASSERT_FALSE(r.ok()) << name << " was accepted: " << *r;
    EXPECT_EQ(e.code, r.error().code) << name << ": " << r.error().message;
    const std::string& m = r.error().message;
    for (const auto& part : e.message) {
      EXPECT_NE(m.find(part), std::string::npos) << name << ": '" << part << "' not in: " << m;
    }
    EXPECT_EQ(first_invalid_utf8(m), std::string::npos) << name << ": not UTF-8: " << m;
    for (unsigned char c : m) EXPECT_TRUE(c >= 0x20 && c != 0x7f) << name << ": control byte in: " << m;
    EXPECT_LT(m.size(), 400u) << name;
  }
}

// The quoting helper every host parser uses for its messages: a cut never splits a
// character, and invalid bytes never reach the message.
TEST(HostOutputBadInputCorpus, ExcerptsAreAlwaysValidUtf8) {
  const std::string euro = "\xe2\x82\xac";  // 3 bytes
  std::string long_text = std::string(79, 'x') + euro + "tail";
  auto e = excerpt(long_text);
  EXPECT_EQ(e, "\"" + std::string(79, 'x') + "...\"");
  EXPECT_EQ(excerpt("caf\xc3\xa9"), "\"caf\xc3\xa9\"");
  EXPECT_EQ(excerpt("a\xff\xfe" "b\xc3"), "\"a??b?\"");
  EXPECT_EQ(excerpt("\xed\xa0\x80"), "\"???\"");  // a UTF-16 surrogate encoded as UTF-8
  EXPECT_EQ(first_invalid_utf8("ok \xf0\x9f\x98\x80"), std::string::npos);
  EXPECT_EQ(first_invalid_utf8("ok \xf0\x9f\x98"), 3u);
  EXPECT_EQ(first_invalid_utf8("\xc0\xaf"), 0u);  // overlong '/'
}

}  // namespace
}  // namespace vmc::host
