#include "capture/session_output.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <limits>

#include <nlohmann/json.hpp>

#include "capture/test_util.h"

namespace vmc::capture {
namespace {

using testing::make_frame;
using testing::pcap_bytes;
using testing::tag_of;

constexpr int64_t kT0 = 1'764'140'000'000'000'000;

SessionOutputOptions options(const testing::TempDir& d) {
  SessionOutputOptions o;
  o.output.path = d.file("testvm1.pcapng");
  o.output.section.user_appl = "vm-capture 0.1.0";
  o.output.section.comments = {"vCenter vc01; VM testvm1; plan dhcp"};
  o.merge.window_ns = 1'000'000;
  o.merge.max_delay_ns = 1'000'000'000;
  o.merge.dedup_window_ns = 100'000;
  o.header.tool = "vm-capture 0.1.0";
  o.header.session = "vm testvm1";
  return o;
}

PinInfo pin(const char* host, const char* port, model::Direction dir) {
  return PinInfo{host, port, dir, "testvm1", "Network adapter 1", "00:50:56:aa:bb:cc"};
}

// Pushes `bytes` to `p` in chunks of 100.
void feed(SessionOutput& s, uint32_t p, const std::vector<uint8_t>& bytes, int64_t now) {
  for (size_t at = 0; at < bytes.size(); at += 100) {
    auto st = s.push(p, std::span(bytes).subspan(at, std::min<size_t>(100, bytes.size() - at)), now);
    ASSERT_TRUE(st.ok()) << st.error().message;
  }
}

TEST(SessionOutput, MergesPinsDropsCopiesCommentsAndWritesTheManifest) {
  testing::TempDir d;
  auto s = SessionOutput::open(options(d), kT0);
  ASSERT_TRUE(s.ok()) << s.error().message;
  auto in = *(*s)->add_pin(pin("esx01", "33554442", model::Direction::In), kT0);
  auto out = *(*s)->add_pin(pin("esx01", "33554442", model::Direction::Out), kT0);
  auto bridge = *(*s)->add_pin(pin("esx01", "vmnic0", model::Direction::Both), kT0);

  std::vector<Frame> fin, fout, fbridge;
  for (uint32_t i = 0; i < 50; ++i) {
    fin.push_back(make_frame(kT0 + i * 20'000, i, 100));
    fout.push_back(make_frame(kT0 + i * 20'000 + 10'000, 100 + i, 100));
  }
  // The uplink saw in-frames 40..49 too (a few us later) and one frame of its own.
  for (uint32_t i = 40; i < 50; ++i) {
    auto f = fin[i];
    f.ts_ns += 3'000;
    fbridge.push_back(f);
  }
  fbridge.push_back(make_frame(kT0 + 2'000'000, 999, 100));
  (*s)->event({kT0 + 500'000, "re-pinned", "port 33554442 -> vmnic0 bridge"}, in);
  feed(**s, out, pcap_bytes(fout), kT0 + 1);
  feed(**s, in, pcap_bytes(fin), kT0 + 2);
  feed(**s, bridge, pcap_bytes(fbridge), kT0 + 3);
  ASSERT_TRUE((*s)->end_pin(bridge, "VM back on its port", 7, kT0 + 4).ok());
  (*s)->drs_action({kT0, "cl1", "testvm1", "restore", "manual -> fullyAutomated"});
  auto m = (*s)->close(kT0 + 3'000'000'000, "stopped by user");
  ASSERT_TRUE(m.ok()) << m.error().message;

  EXPECT_EQ(m->frames, 101u);
  EXPECT_EQ(m->duplicates_removed, 10u);
  ASSERT_EQ(m->pins.size(), 3u);
  EXPECT_EQ(m->pins[0].frames, 50u);
  EXPECT_EQ(m->pins[2].frames, 1u);
  EXPECT_EQ(m->pins[2].dropped, 7u);
  EXPECT_EQ(m->files, std::vector<std::string>{d.file("testvm1.pcapng")});

  auto frames = testing::read_frames(d.file("testvm1.pcapng"));
  ASSERT_EQ(frames.size(), 101u);
  for (size_t i = 1; i < frames.size(); ++i) EXPECT_LE(frames[i - 1].ts_ns, frames[i].ts_ns) << i;

  std::string err;
  auto names = testing::run("tshark -r " + d.file("testvm1.pcapng") +
                                " -T fields -e frame.interface_name -e frame.packet_flags_direction"
                                " -e frame.comment | head -3",
                            &err);
  EXPECT_EQ(names,
            "esx01:33554442:in\t0x00000001\t2025-11-26T06:53:20.000500000Z re-pinned: port "
            "33554442 -> vmnic0 bridge\n"
            "esx01:33554442:out\t0x00000002\t\n"
            "esx01:33554442:in\t0x00000001\t\n");

  auto bytes = testing::read_file(d.file("testvm1.manifest.json"));
  auto j = nlohmann::json::parse(bytes.begin(), bytes.end());
  EXPECT_EQ(j["counts"]["duplicates_removed"], 10);
  EXPECT_EQ(j["pins"][2]["interface"], "esx01:vmnic0:both");
  EXPECT_EQ(j["pins"][2]["end_reason"], "VM back on its port");
  EXPECT_EQ(j["pins"][0]["end_reason"], "stopped by user");
  EXPECT_EQ(j["drs_actions"][0]["action"], "restore");
  EXPECT_EQ(j["stop_reason"], "stopped by user");
  struct stat st {};
  ASSERT_EQ(::stat(d.file("testvm1.manifest.json").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST(SessionOutput, CorruptStreamEndsItsPinKeepsItsFramesAndTheSessionGoesOn) {
  testing::TempDir d;
  auto s = SessionOutput::open(options(d), kT0);
  ASSERT_TRUE(s.ok());
  auto a = *(*s)->add_pin(pin("esx01", "1", model::Direction::In), kT0);
  auto b = *(*s)->add_pin(pin("esx02", "2", model::Direction::In), kT0);
  std::vector<Frame> fa, fb;
  for (uint32_t i = 0; i < 10; ++i) {
    fa.push_back(make_frame(kT0 + i * 1000, i));
    fb.push_back(make_frame(kT0 + i * 1000 + 500, 100 + i));
  }
  auto bytes = pcap_bytes(fa);
  const size_t fifth = 24 + 4 * (16 + 64);
  bytes[fifth + 11] = 0x7f;  // record 5's captured length: absurd
  auto st = (*s)->push(a, bytes, kT0);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("esx01:1:in"), std::string::npos);
  EXPECT_NE(st.error().message.find("byte offset " + std::to_string(fifth)), std::string::npos);
  feed(**s, b, pcap_bytes(fb), kT0);
  auto m = (*s)->close(kT0 + 1, "done");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->pins[a].frames, 4u);
  EXPECT_EQ(m->pins[b].frames, 10u);
  EXPECT_FALSE(m->pins[a].error.empty());
  EXPECT_EQ(m->errors.size(), 1u);
  EXPECT_EQ(testing::read_frames(d.file("testvm1.pcapng")).size(), 14u);
}

TEST(SessionOutput, OptionsComeFromTheSessionSpec) {
  model::SessionSpec spec;
  spec.name = "dhcp-boot";
  spec.source = "plans/dhcp.yaml";
  spec.policy = "default";
  spec.vms = {{"testvm1", {}}, {"testvm2", {}}};
  spec.output.path = "/captures/dhcp.pcapng";
  spec.output.rotation.max_packets = 1000;
  spec.stop.packets = 5000;
  auto o = session_output_options(spec, "vc01.lab", "20261126T072500Z-4242");
  EXPECT_EQ(o.output.path, "/captures/dhcp.pcapng");
  EXPECT_EQ(o.output.rotation.max_packets, 1000u);
  EXPECT_EQ(o.output.section.user_appl, std::string("vm-capture ") + VMC_VERSION);
  ASSERT_EQ(o.output.section.comments.size(), 2u);
  EXPECT_EQ(o.output.section.comments[0],
            "vCenter vc01.lab; VM testvm1, testvm2; plan dhcp-boot (plans/dhcp.yaml); policy default");
  EXPECT_EQ(o.output.section.comments[1], "session 20261126T072500Z-4242");
  EXPECT_EQ(o.header.vcenter, "vc01.lab");
  EXPECT_EQ(o.header.session, "20261126T072500Z-4242");
  EXPECT_EQ(o.header.plan, "dhcp-boot");
  // The merge keeps its defaults when streaming; on-host captures are held for order.
  EXPECT_EQ(o.merge.max_frames, LiveMergeOptions{}.max_frames);
  spec.output.on_host = true;
  o = session_output_options(spec, "vc01.lab", "s");
  EXPECT_EQ(o.merge.max_frames, kOnHostHeldFrames);
  EXPECT_EQ(o.merge.max_delay_ns, std::numeric_limits<int64_t>::max());
}

}  // namespace
}  // namespace vmc::capture
