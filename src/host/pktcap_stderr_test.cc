#include "host/pktcap_stderr.h"

#include <gtest/gtest.h>

namespace vmc::host {
namespace {

using K = PktcapLineKind;

TEST(ParsePktcapLine, KnownLines) {
  struct Case {
    const char* line;
    K kind;
    int64_t number;
    const char* text;
  };
  const Case cases[] = {
      {"The switch port id is 0x0400002e.", K::SwitchPortId, 0x0400002e, nullptr},
      {"The switch port id is 33554442.", K::SwitchPortId, 33554442, nullptr},
      {"pktcap: The output file is -.", K::OutputFile, 0, "-"},
      {"pktcap: The output file is /vmfs/volumes/ds1/a.pcap.", K::OutputFile, 0, "/vmfs/volumes/ds1/a.pcap"},
      {"pktcap: No server port specifed, select 7799 as the port.", K::ServerPort, 7799, nullptr},
      {"pktcap: Local CID 2.", K::LocalCid, 2, nullptr},
      {"pktcap: Listen on port 7799.", K::Listening, 7799, nullptr},
      {"pktcap: Accept...", K::Accepting, 0, nullptr},
      {"pktcap: Vsock connection from port 1096 cid 2.", K::Connected, 1096, nullptr},
      {"Join with dump thread failed.", K::JoinFailed, 0, nullptr},
      {"pktcap: Join with dump thread failed.", K::JoinFailed, 0, nullptr},
      {"Destroying session 5.", K::DestroyingSession, 5, nullptr},
      {"Done.", K::Done, 0, nullptr},
      {"Done.\r", K::Done, 0, nullptr},
      {"error: No such capture point: VnicRxx", K::NoSuchCapturePoint, 0, "VnicRxx"},
      {"error: Error writing 16 bytes of pkt header to file", K::WriteError, 0, nullptr},
      {"pktcap-uw: unrecognized option '--dirr'", K::UsageError, 0, nullptr},
      {"Usage: pktcap-uw [options]", K::UsageError, 0, nullptr},
      {"error: something unexpected happened", K::OtherError, 0, nullptr},
      {"Failed to open switch port 5", K::OtherError, 0, nullptr},
      {"pktcap: The switch port id is garbage.", K::Info, 0, nullptr},
      {"hello", K::Info, 0, nullptr},
      {"", K::Info, 0, nullptr},
      {"Dump: 12, broken", K::Info, 0, nullptr},
  };
  for (const auto& c : cases) {
    PktcapLine l = parse_pktcap_line(c.line);
    EXPECT_EQ(l.kind, c.kind) << c.line << " -> " << to_string(l.kind);
    EXPECT_EQ(l.number, c.number) << c.line;
    if (c.text) {
      EXPECT_EQ(l.text, c.text) << c.line;
    }
  }
  EXPECT_EQ(parse_pktcap_line("pktcap: Vsock connection from port 1096 cid 2.").number2, 2);
}

TEST(ParsePktcapLine, Counts) {
  PktcapLine d = parse_pktcap_line("Dump: 9344, broken : 0, drop: 3, file err: 1");
  ASSERT_EQ(d.kind, K::DumpStats);
  EXPECT_EQ(d.dump, 9344);
  EXPECT_EQ(d.broken, 0);
  EXPECT_EQ(d.drop, 3);
  EXPECT_EQ(d.file_err, 1);

  PktcapLine x = parse_pktcap_line("Dumped 10241 packet to file /tmp/vmnic0.pcap, dropped 7 packets.");
  ASSERT_EQ(x.kind, K::Dumped);
  EXPECT_EQ(x.dump, 10241);
  EXPECT_EQ(x.drop, 7);
  EXPECT_EQ(x.text, "/tmp/vmnic0.pcap");
}

TEST(PktcapStatus, NormalLifecycle) {
  PktcapStatus st;
  EXPECT_EQ(st.state(), PktcapState::Starting);
  st.feed("The switch port id is 0x0400002e.");
  EXPECT_EQ(st.state(), PktcapState::Capturing);
  EXPECT_EQ(st.switch_port(), 0x0400002e);
  for (const char* l : {"pktcap: The output file is -.", "pktcap: No server port specifed, select 7799 as the port.",
                        "pktcap: Local CID 2.", "pktcap: Listen on port 7799.", "pktcap: Accept...",
                        "pktcap: Vsock connection from port 1096 cid 2."}) {
    st.feed(l);
  }
  EXPECT_EQ(st.state(), PktcapState::Capturing);
  st.feed("Dump: 9344, broken : 0, drop: 0, file err: 0");
  EXPECT_EQ(st.state(), PktcapState::Stopping);
  st.feed("Destroying session 5.");
  st.feed("Dumped 9344 packet to file -, dropped 0 packets.");
  st.feed("Done.");
  EXPECT_EQ(st.state(), PktcapState::Done);
  ASSERT_TRUE(st.final_stats());
  EXPECT_EQ(st.final_stats()->dump, 9344);
  ASSERT_TRUE(st.dumped());
  EXPECT_EQ(st.dumped()->dump, 9344);
  EXPECT_FALSE(st.write_failed());
  EXPECT_EQ(st.error(), "");
}

TEST(PktcapStatus, RamdiskFull) {
  PktcapStatus st;
  for (const char* l : {"The switch port id is 0x0400002e.", "pktcap: The output file is /tmp/a.pcap.",
                        "Dump: 9344, broken : 0, drop: 0, file err: 1",
                        "error: Error writing 16 bytes of pkt header to file",
                        "Join with dump thread failed.", "Destroying session 5.",
                        "Dumped 10241 packet to file /tmp/a.pcap, dropped 0 packets.", "Done."}) {
    st.feed(l);
  }
  EXPECT_EQ(st.state(), PktcapState::Failed);
  EXPECT_TRUE(st.write_failed());
  EXPECT_EQ(st.error_kind(), K::WriteError);
  EXPECT_EQ(st.error(), "error: Error writing 16 bytes of pkt header to file");
  ASSERT_TRUE(st.dumped());
  EXPECT_EQ(st.dumped()->dump, 10241);
}

TEST(PktcapStatus, BadCapturePoint) {
  PktcapStatus st;
  st.feed("error: No such capture point: Vmxnet3Rx");
  EXPECT_EQ(st.state(), PktcapState::Failed);
  EXPECT_EQ(st.error_kind(), K::NoSuchCapturePoint);
  st.feed("Done.");
  EXPECT_EQ(st.state(), PktcapState::Failed);
}

}  // namespace
}  // namespace vmc::host
