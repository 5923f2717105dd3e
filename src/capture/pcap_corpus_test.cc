// The pcap part of the bad-input corpus (issue 8): damaged pcap streams and files
// (bad magic, cut headers, absurd captured lengths, records cut mid-stream, garbage,
// pcapng where pcap is expected, an empty stream), each read by
//  - the stream reader (what reads `pktcap-uw -o -` from SSH), fed in chunks of
//    several sizes: the same frames and the same error whatever the chunking;
//  - the file reader (`capture merge` inputs, libpcap);
//  - a capture session: the damaged stream on one pin, a good one on another: every
//    frame before the damage is in the output file, the other pin loses nothing, and the
//    manifest names the stream and the offset.
// Cases are files under tests/corpus/pcap (written by generate.py): NAME.pcap and
// NAME.expected (key: value lines):
//   frames: N              frames the stream reader delivers (before the error, if any)
//   stream-code: ok | <error code>
//   stream-offset: N       the error names "byte offset N"
//   stream-message: text   (repeatable)
//   file-frames: N         frames the file reader delivers (default: frames)
//   file-code: ok | <error code>
//   file-message: text     (repeatable)
// Good frames carry their index in their first 4 bytes, so "the first N frames, in
// order" is checked, not just a count.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "capture/pcap_file_reader.h"
#include "capture/pcap_stream_reader.h"
#include "capture/session_output.h"
#include "capture/test_util.h"

namespace vmc::capture {
namespace {

namespace fs = std::filesystem;

const fs::path kDir = fs::path(VMC_SOURCE_DIR) / "tests/corpus/pcap";
const std::string kSource = "esx01:33554440:in";

std::vector<uint8_t> read_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

struct Expected {
  size_t frames = 0;
  std::optional<size_t> file_frames;
  std::string stream_code, file_code;
  std::optional<uint64_t> stream_offset;
  std::vector<std::string> stream_message, file_message;
};

Expected parse_expected(const fs::path& p) {
  Expected e;
  std::ifstream in(p);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    auto colon = line.find(": ");
    if (colon == std::string::npos) {
      ADD_FAILURE() << p << ": not a key: value line: " << line;
      continue;
    }
    std::string k = line.substr(0, colon), v = line.substr(colon + 2);
    if (k == "frames") e.frames = std::stoul(v);
    else if (k == "file-frames") e.file_frames = std::stoul(v);
    else if (k == "stream-code") e.stream_code = v;
    else if (k == "file-code") e.file_code = v;
    else if (k == "stream-offset") e.stream_offset = std::stoull(v);
    else if (k == "stream-message") e.stream_message.push_back(v);
    else if (k == "file-message") e.file_message.push_back(v);
    else ADD_FAILURE() << p << ": unknown key " << k;
  }
  return e;
}

uint32_t index_of(const FrameView& f) {
  if (f.data.size() < 4) return ~0u;
  return (uint32_t{f.data[0]} << 24) | (uint32_t{f.data[1]} << 16) | (uint32_t{f.data[2]} << 8) | f.data[3];
}

struct StreamOutcome {
  std::vector<uint32_t> indexes;
  std::optional<Error> error;
};

/// Feeds `bytes` in chunks of `chunk`, draining frames after each push, then finish().
StreamOutcome read_stream(const std::vector<uint8_t>& bytes, size_t chunk) {
  StreamOutcome o;
  PcapStreamReader r(kSource);
  for (size_t at = 0; at < bytes.size() && !o.error; at += chunk) {
    r.push(std::span(bytes).subspan(at, std::min(chunk, bytes.size() - at)));
    for (;;) {
      auto f = r.next();
      if (!f) {
        o.error = f.error();
        break;
      }
      if (!*f) break;
      o.indexes.push_back(index_of(**f));
    }
  }
  if (!o.error) {
    if (auto st = r.finish(); !st) o.error = st.error();
  }
  return o;
}

std::vector<fs::path> cases() {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(kDir)) {
    if (e.path().extension() == ".expected") out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

void expect_first_frames(const std::vector<uint32_t>& got, size_t n, const std::string& what) {
  ASSERT_EQ(got.size(), n) << what;
  for (size_t i = 0; i < n; ++i) EXPECT_EQ(got[i], i) << what << ": frame " << i;
}

TEST(PcapBadInputCorpus, StreamReaderKeepsEveryFrameBeforeTheDamageAndNamesSourceAndOffset) {
  const auto all = cases();
  ASSERT_GE(all.size(), 12u) << "the corpus went missing";
  for (const auto& exp_file : all) {
    const std::string name = exp_file.stem().string();
    SCOPED_TRACE(name);
    fs::path data = exp_file;
    data.replace_extension(".pcap");
    ASSERT_TRUE(fs::exists(data)) << name << " has no .pcap file";
    const Expected e = parse_expected(exp_file);
    const auto bytes = read_bytes(data);
    std::optional<StreamOutcome> first;
    for (size_t chunk : {size_t{1}, size_t{7}, size_t{100}, size_t{1} << 20}) {
      const std::string what = name + " in chunks of " + std::to_string(chunk);
      auto o = read_stream(bytes, chunk);
      expect_first_frames(o.indexes, e.frames, what);
      if (e.stream_code == "ok") {
        EXPECT_FALSE(o.error) << what << ": " << o.error->message;
        continue;
      }
      ASSERT_TRUE(o.error) << what << ": accepted";
      EXPECT_EQ(e.stream_code, o.error->code) << what << ": " << o.error->message;
      EXPECT_NE(o.error->message.find(kSource), std::string::npos) << what << ": " << o.error->message;
      if (e.stream_offset) {
        EXPECT_NE(o.error->message.find("byte offset " + std::to_string(*e.stream_offset)), std::string::npos)
            << what << ": " << o.error->message;
      }
      for (const auto& m : e.stream_message) {
        EXPECT_NE(o.error->message.find(m), std::string::npos) << what << ": '" << m << "' not in " << o.error->message;
      }
      if (first) {
        EXPECT_EQ(first->error->message, o.error->message) << what << ": depends on the chunking";
      } else {
        first = o;
      }
    }
  }
}

TEST(PcapBadInputCorpus, FileReaderKeepsEveryFrameBeforeTheDamageAndNamesFileAndOffset) {
  for (const auto& exp_file : cases()) {
    const std::string name = exp_file.stem().string();
    SCOPED_TRACE(name);
    fs::path data = exp_file;
    data.replace_extension(".pcap");
    const Expected e = parse_expected(exp_file);
    ASSERT_FALSE(e.file_code.empty()) << name;
    const size_t want = e.file_frames.value_or(e.frames);
    auto r = PcapFileReader::open(data.string());
    std::vector<uint32_t> got;
    std::optional<Error> err;
    if (!r) {
      err = r.error();
    } else {
      FrameView v;
      for (;;) {
        auto n = (*r)->next(v);
        if (!n) {
          err = n.error();
          break;
        }
        if (!*n) break;
        got.push_back(index_of(v));
      }
    }
    expect_first_frames(got, want, name);
    if (e.file_code == "ok") {
      EXPECT_FALSE(err) << name << ": " << err->message;
      continue;
    }
    ASSERT_TRUE(err) << name << ": accepted";
    EXPECT_EQ(e.file_code, err->code) << name << ": " << err->message;
    EXPECT_NE(err->message.find(data.string()), std::string::npos) << err->message;
    if (err->code == "capture.corrupt") {
      // Damage after the file opened: where it is, and that the frames before are kept.
      EXPECT_NE(err->message.find("byte offset"), std::string::npos) << err->message;
      EXPECT_NE(err->message.find("after " + std::to_string(want) + " good frames"), std::string::npos)
          << err->message;
    }
    for (const auto& m : e.file_message) {
      EXPECT_NE(err->message.find(m), std::string::npos) << name << ": '" << m << "' not in " << err->message;
    }
  }
}

// A session with the damaged stream on one pin and a good stream on another: nothing
// captured before the damage is lost, the other pin goes on, the manifest says where.
TEST(PcapBadInputCorpus, SessionKeepsWhatWasCapturedBeforeTheDamage) {
  constexpr int64_t kT0 = 1'764'115'200'000'000'000;
  for (const auto& exp_file : cases()) {
    const std::string name = exp_file.stem().string();
    SCOPED_TRACE(name);
    fs::path data = exp_file;
    data.replace_extension(".pcap");
    const Expected e = parse_expected(exp_file);
    testing::TempDir d;
    SessionOutputOptions o;
    o.output.path = d.file("out.pcapng");
    o.header.session = name;
    auto s = SessionOutput::open(o, kT0);
    ASSERT_TRUE(s.ok()) << s.error().message;
    auto bad = *(*s)->add_pin({"esx01", "33554440", model::Direction::In, "testvm1", "Network adapter 1",
                               "00:50:56:80:00:01"}, kT0);
    auto good = *(*s)->add_pin({"esx02", "33554441", model::Direction::In, "testvm2", "Network adapter 1",
                                "00:50:56:80:00:02"}, kT0);
    std::vector<Frame> fg;
    for (uint32_t i = 0; i < 5; ++i) fg.push_back(testing::make_frame(kT0 + i * 1'000'000 + 500, 1000 + i));
    const auto bytes = read_bytes(data);
    // An SSH channel that delivers nothing never calls push().
    Status pushed = bytes.empty() ? Status{} : (*s)->push(bad, bytes, kT0 + 1);
    ASSERT_TRUE((*s)->push(good, testing::pcap_bytes(fg), kT0 + 2).ok());
    ASSERT_TRUE((*s)->end_pin(bad, "channel closed", std::nullopt, kT0 + 3).ok());
    auto m = (*s)->close(kT0 + 10'000'000'000, "stopped");
    ASSERT_TRUE(m.ok()) << m.error().message;
    EXPECT_EQ(m->pins[bad].frames, e.frames);
    EXPECT_EQ(m->pins[good].frames, 5u);
    auto frames = testing::read_frames(d.file("out.pcapng"));
    EXPECT_EQ(frames.size(), e.frames + 5);
    size_t from_bad = 0;
    for (const auto& f : frames) from_bad += index_of(f.view()) < 1000;
    EXPECT_EQ(from_bad, e.frames);
    const bool empty_stream = bytes.empty();
    if (e.stream_code == "ok" || empty_stream) {
      EXPECT_TRUE(m->pins[bad].error.empty()) << m->pins[bad].error;
      EXPECT_TRUE(pushed.ok());
      continue;
    }
    // The error is recorded against the pin and among the session's errors, naming the
    // stream (host:port:direction) and, where it applies, the offset.
    EXPECT_FALSE(m->pins[bad].error.empty());
    EXPECT_NE(m->pins[bad].error.find("esx01:33554440:in"), std::string::npos) << m->pins[bad].error;
    if (e.stream_offset) {
      EXPECT_NE(m->pins[bad].error.find("byte offset " + std::to_string(*e.stream_offset)), std::string::npos)
          << m->pins[bad].error;
    }
    ASSERT_EQ(m->errors.size(), 1u);
    auto text = testing::read_file(d.file("out.manifest.json"));
    auto j = nlohmann::json::parse(text.begin(), text.end());
    EXPECT_EQ(j["pins"][bad]["error"], m->pins[bad].error);
  }
}

// Text from hosts and vCenter (VM names, esxcli excerpts in error messages) reaches the
// manifest. Bytes that are not UTF-8 must not make writing it fail (nlohmann::json
// throws on them by default): the session's record would be lost at the very end.
TEST(PcapBadInputCorpus, ManifestIsWrittenWhateverBytesTheTextHolds) {
  testing::TempDir d;
  Manifest m;
  m.tool = "vm-capture test";
  m.session = "caf\xe9";  // Latin-1
  m.errors = {"esx01: esxcli output, line 3 \"\xff\xfe\": not UTF-8", std::string("nul\0byte", 8)};
  ManifestPin p;
  p.vm = "test\xc3vm1";  // a cut UTF-8 sequence
  p.interface = "esx01:1:in";
  m.pins.push_back(p);
  auto st = write_manifest(d.file("m.manifest.json"), m);
  ASSERT_TRUE(st.ok()) << st.error().message;
  auto text = testing::read_file(d.file("m.manifest.json"));
  auto j = nlohmann::json::parse(text.begin(), text.end());  // valid JSON, valid UTF-8
  EXPECT_EQ(j["pins"][0]["interface"], "esx01:1:in");
  EXPECT_EQ(j["errors"].size(), 2u);
  EXPECT_NE(j["errors"][0].get<std::string>().find("not UTF-8"), std::string::npos);
}

}  // namespace
}  // namespace vmc::capture
