#include "session/on_host_control.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <limits>

#include "capture/manifest.h"
#include "capture/pcap_file_reader.h"
#include "host/fake_host_connection.h"
#include "host/sha256.h"
#include "session/output_sink.h"
#include "session/ssh_host_control.h"

namespace vmc::session {
namespace {

using orchestrator::CaptureStatus;
using orchestrator::Pin;

constexpr const char* kDir = "/vmfs/volumes/datastore1/vm-capture";
constexpr const char* kVmMac = "00:50:56:aa:00:01";

// `vdf` as the lab prints it, with `avail_kib` free of 500 GiB.
std::string vdf(int64_t avail_kib) {
  const int64_t size = 524288000;
  return "Filesystem      1K-blocks         Used    Available Use% Mounted on\n"
         "VMFS-6          " +
         std::to_string(size) + "    " + std::to_string(size - avail_kib) + "    " +
         std::to_string(avail_kib) + "  24% /vmfs/volumes/datastore1\n";
}

void put_le(std::string& s, uint64_t v, int n) {
  for (int i = 0; i < n; ++i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

// A classic pcap file: frames of 60 bytes from `src` MACs, 1 s apart from t0.
std::string pcap_file(const std::vector<std::string>& src_macs, uint32_t t0 = 1700000000) {
  std::string s;
  put_le(s, 0xa1b2c3d4, 4);
  put_le(s, 2, 2);
  put_le(s, 4, 2);
  put_le(s, 0, 4);
  put_le(s, 0, 4);
  put_le(s, 65535, 4);
  put_le(s, 1, 4);
  uint32_t t = t0;
  for (const auto& mac : src_macs) {
    std::string frame(60, '\0');
    for (int i = 0; i < 6; ++i) frame[static_cast<size_t>(i)] = static_cast<char>(0xff);
    for (int i = 0; i < 6; ++i)
      frame[static_cast<size_t>(6 + i)] =
          static_cast<char>(std::stoi(mac.substr(static_cast<size_t>(i) * 3, 2), nullptr, 16));
    put_le(s, t++, 4);
    put_le(s, 0, 4);
    put_le(s, frame.size(), 4);
    put_le(s, frame.size(), 4);
    s += frame;
  }
  return s;
}

host::ProcessExit exited(int status) {
  host::ProcessExit e;
  e.status = status;
  e.detail = "exit status " + std::to_string(status);
  return e;
}

std::string sha256(const std::string& data) {
  host::Sha256 h;
  h.update(data);
  return h.hex_digest();
}

struct Seen {
  std::string pin;
  int64_t ts_ns;
  model::Direction dir;
  size_t len;
};

class RecordingSink : public orchestrator::FrameSink {
 public:
  void frame(const Pin& pin, const orchestrator::CapturedFrame& f) override {
    frames.push_back({pin.key(), f.ts_ns, f.dir, f.data.size()});
  }
  std::vector<Seen> frames;
};

/// A host with one datastore whose files are a map; `vdf`, `mkdir`, `kill`, `stat`,
/// `sha256sum`, `cat` and `rm` act on it; pktcap-uw "writes" the file given at start.
class OnHostControlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    staging_ =
        std::filesystem::path(::testing::TempDir()) /
        ("onhost-" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    std::filesystem::remove_all(staging_);
    conn_ = new host::FakeHostConnection("esx01");
    conn_->handler =
        [this](const std::vector<std::string>& argv) -> std::optional<Result<host::ExecResult>> {
      host::ExecResult r;
      r.exit_status = 0;
      const std::string& cmd = argv.at(0);
      if (cmd == "vdf") {
        r.out = vdf(avail_kib_);
      } else if (cmd == "mkdir") {
      } else if (cmd == "kill") {
        for (auto& p : conn_->processes)
          if (std::to_string(p->pid) == argv.back() && !p->finished) p->exit(exited(0));
      } else if (cmd == "stat") {
        if (!files_.count(argv.back())) return fail(r, "No such file or directory");
        r.out = std::to_string(files_[argv.back()].size()) + "\n";
      } else if (cmd == "sha256sum") {
        if (!files_.count(argv.back())) return fail(r, "No such file or directory");
        r.out = (wrong_hash_ ? std::string(64, '0') : sha256(files_[argv.back()])) + "  " +
                argv.back() + "\n";
      } else if (cmd == "rm") {
        files_.erase(argv.back());
      } else if (cmd == "ps") {
        if (host_down_) return fail(r, "ssh: connection refused");
        r.out = "WID       CID       World Name           Command\n";
      } else {
        return std::nullopt;
      }
      return Result<host::ExecResult>(r);
    };
    conn_->on_start = [this](host::FakeProcess& p) {
      if (p.argv.at(0) == "cat") {
        auto it = files_.find(p.argv.back());
        if (it != files_.end()) p.emit_stdout(it->second);
        p.exit(exited(it != files_.end() ? 0 : 1));
      } else if (p.argv.at(0) == "pktcap-uw") {
        auto o = std::find(p.argv.begin(), p.argv.end(), "-o");
        if (o != p.argv.end() && o + 1 != p.argv.end()) files_[*(o + 1)] = next_file_;
        p.emit_stderr_line("pktcap: Vsock connection from port 1096 cid 2.");  // recording
      }
    };
    host_.name = "esx01";
    host_.ref.value = "host-1";
    host_.version = "8.0.3";
    ssh_ = std::make_unique<SshHostControl>(host_, std::unique_ptr<host::HostConnection>(conn_));
    OnHostSettings s;
    s.session_id = "S1";
    s.output.on_host = true;
    s.output.datastore = "datastore1";
    s.staging_dir = staging_.string();
    s.space_check_interval = std::chrono::milliseconds(0);
    OnHostEvents ev;
    ev.end_session = [this](const std::string& why) { ended_.push_back(why); };
    ev.note = [this](const std::string& what) { notes_.push_back(what); };
    port_ = std::make_unique<OnHostControl>(host_, *ssh_, s, ev);
    pin_.host = host_.ref;
    pin_.host_name = "esx01";
    pin_.port_id = 33554440;
    pin_.dir = model::Direction::Both;
    pin_.vm.value = "vm-1";
    pin_.vm_name = "testvm1";
    pin_.mac = model::Mac::parse(kVmMac).value();
  }
  void TearDown() override { std::filesystem::remove_all(staging_); }

  static std::optional<Result<host::ExecResult>> fail(host::ExecResult r, const std::string& err) {
    r.exit_status = 1;
    r.err = err + "\n";
    return Result<host::ExecResult>(r);
  }

  Result<orchestrator::CaptureHandle> start() {
    orchestrator::CaptureRequest req;
    req.pin = pin_;
    return port_->start_capture(req, sink_);
  }

  /// The connection of the first capture is lost: it goes on writing on the host, and
  /// the host cannot be asked until host_down_ is cleared.
  void lose_connection(const char* detail = "") {
    host_down_ = true;
    host::ProcessExit lost;
    lost.connection_lost = true;
    lost.detail = detail;
    conn_->processes.at(0)->exit(lost);
  }

  std::vector<std::string> ran(const std::string& prefix) const {
    std::vector<std::string> out;
    for (const auto& c : conn_->commands_ran)
      if (c.rfind(prefix, 0) == 0) out.push_back(c);
    return out;
  }

  std::filesystem::path staging_;
  host::FakeHostConnection* conn_ = nullptr;  // owned by ssh_
  model::HostInfo host_;
  std::unique_ptr<SshHostControl> ssh_;
  std::unique_ptr<OnHostControl> port_;
  Pin pin_;
  RecordingSink sink_;
  std::map<std::string, std::string> files_;  // the datastore
  std::string next_file_ = pcap_file({kVmMac, "00:50:56:00:00:99", kVmMac});
  int64_t avail_kib_ = 398458880;
  bool wrong_hash_ = false;
  bool host_down_ = false;  // `ps` fails (stands for a host that cannot be asked)
  std::vector<std::string> ended_, notes_;
};

TEST_F(OnHostControlTest, WritesOnTheDatastoreAndFetchesAtStop) {
  auto h = start();
  ASSERT_TRUE(h.ok()) << h.error().message;
  const std::string remote = std::string(kDir) + "/vmc-S1-esx01-33554440-both-1.pcap";
  EXPECT_EQ(std::vector<std::string>{"mkdir -p " + std::string(kDir)}, ran("mkdir"));
  ASSERT_EQ(1u, ran("start: pktcap-uw").size());
  EXPECT_NE(std::string::npos, ran("start: pktcap-uw")[0].find("-o " + remote))
      << ran("start: pktcap-uw")[0];
  EXPECT_EQ(conn_->processes.at(0)->pid, h->pid);
  EXPECT_EQ(CaptureStatus::Health::Running, port_->status(*h).health);
  EXPECT_TRUE(sink_.frames.empty()) << "frames come only with the file";

  ASSERT_TRUE(port_->stop_capture(*h).ok());
  EXPECT_EQ(std::vector<std::string>{"kill " + std::to_string(h->pid)}, ran("kill"));
  EXPECT_EQ(std::vector<std::string>{"rm " + remote}, ran("rm"));
  EXPECT_EQ(0u, files_.count(remote)) << "fetched and verified: removed from the datastore";
  ASSERT_EQ(3u, sink_.frames.size());
  EXPECT_EQ(model::Direction::Out, sink_.frames[0].dir);  // sent by the VM
  EXPECT_EQ(model::Direction::In, sink_.frames[1].dir);
  EXPECT_EQ(int64_t{1700000001} * 1'000'000'000, sink_.frames[1].ts_ns);
  EXPECT_EQ(3u, port_->frames_fetched());
  EXPECT_TRUE(port_->kept().empty());
  EXPECT_TRUE(ended_.empty());

  // The staged copy is private and whole.
  struct stat st {};
  ASSERT_EQ(0, ::stat(staging_.c_str(), &st));
  EXPECT_EQ(0700u, st.st_mode & 0777);
  const auto local = staging_ / "vmc-S1-esx01-33554440-both-1.pcap";
  ASSERT_EQ(0, ::stat(local.c_str(), &st));
  EXPECT_EQ(0600u, st.st_mode & 0777);
  EXPECT_EQ(next_file_.size(), static_cast<size_t>(st.st_size));
}

TEST_F(OnHostControlTest, EachRunOfAPinGetsItsOwnFile) {
  auto a = start();
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(port_->stop_capture(*a).ok());
  auto b = start();
  ASSERT_TRUE(b.ok());
  auto starts = ran("start: pktcap-uw");
  ASSERT_EQ(2u, starts.size());
  EXPECT_NE(std::string::npos, starts[1].find("-both-2.pcap")) << starts[1];
}

TEST_F(OnHostControlTest, RefusesToStartOnAFullDatastore) {
  avail_kib_ = 1024;  // 1 MiB free of 500 GiB: below the reserve (1 GiB cap)
  auto h = start();
  ASSERT_FALSE(h.ok());
  EXPECT_EQ("onhost.space", h.error().code);
  const auto& m = h.error().message;
  EXPECT_NE(std::string::npos, m.find("esx01")) << m;
  EXPECT_NE(std::string::npos, m.find("/vmfs/volumes/datastore1")) << m;
  EXPECT_NE(std::string::npos, m.find("1 MiB free")) << m;
  EXPECT_NE(std::string::npos, m.find("choose another datastore")) << m;
  EXPECT_TRUE(ran("start:").empty()) << "no pktcap-uw on a full datastore";
}

TEST_F(OnHostControlTest, DatastoreFillingWhileRunningEndsTheSessionOnce) {
  auto h = start();
  ASSERT_TRUE(h.ok());
  EXPECT_TRUE(ended_.empty());
  avail_kib_ = 2048;
  auto st = port_->status(*h);
  EXPECT_EQ(CaptureStatus::Health::Running, st.health) << "not restarted: the session ends";
  ASSERT_EQ(1u, ended_.size());
  EXPECT_NE(std::string::npos,
            ended_[0].find("datastore /vmfs/volumes/datastore1 on esx01 has 2 MiB free"))
      << ended_[0];
  EXPECT_NE(std::string::npos, ended_[0].find("kept free")) << ended_[0];
  (void)port_->status(*h);
  EXPECT_EQ(1u, ended_.size());
  // The session's stop still fetches what was written.
  ASSERT_TRUE(port_->stop_capture(*h).ok());
  EXPECT_EQ(3u, sink_.frames.size());
  auto again = start();
  ASSERT_FALSE(again.ok());
  EXPECT_EQ("onhost.space", again.error().code);
}

TEST_F(OnHostControlTest, CaptureEndingByItselfIsFetched) {
  auto h = start();
  ASSERT_TRUE(h.ok());
  avail_kib_ = 0;
  auto& p = *conn_->processes.at(0);
  p.emit_stderr_line("Dump: 3, broken : 0, drop: 0, file err: 1");
  p.emit_stderr_line("error: Error writing 16 bytes of pkt header to file");
  p.exit(exited(1));
  auto st = port_->status(*h);
  EXPECT_EQ(CaptureStatus::Health::Exited, st.health);
  EXPECT_NE(std::string::npos, st.detail.find("Error writing")) << st.detail;
  EXPECT_EQ(3u, sink_.frames.size());
  EXPECT_EQ(1u, ran("rm").size());
  EXPECT_EQ(1u, ended_.size()) << "a full datastore ends the session";
}

TEST_F(OnHostControlTest, AFileThatDoesNotVerifyStaysOnTheHost) {
  wrong_hash_ = true;
  auto h = start();
  ASSERT_TRUE(h.ok());
  ASSERT_TRUE(port_->stop_capture(*h).ok()) << "the capture is stopped; the file is reported";
  const std::string remote = std::string(kDir) + "/vmc-S1-esx01-33554440-both-1.pcap";
  EXPECT_TRUE(ran("rm").empty());
  EXPECT_EQ(1u, files_.count(remote));
  EXPECT_TRUE(sink_.frames.empty());
  auto kept = port_->kept();
  ASSERT_EQ(1u, kept.size());
  EXPECT_NE(std::string::npos, kept[0].find("esx01:" + remote)) << kept[0];
  EXPECT_NE(std::string::npos, kept[0].find("kept on the host")) << kept[0];
  ASSERT_EQ(1u, notes_.size());
  EXPECT_EQ(kept[0], notes_[0]);
  EXPECT_FALSE(std::filesystem::exists(staging_ / "vmc-S1-esx01-33554440-both-1.pcap"))
      << "no unverified copy is left";
}

TEST_F(OnHostControlTest, ACaptureNeverStoppedIsReportedAsKept) {
  auto h = start();
  ASSERT_TRUE(h.ok());
  auto kept = port_->kept();
  ASSERT_EQ(1u, kept.size());
  EXPECT_NE(std::string::npos, kept[0].find("PID " + std::to_string(h->pid))) << kept[0];
}

TEST_F(OnHostControlTest, ACaptureCutOffWithItsConnectionIsFetchedWhenTheHostAnswers) {
  auto h = start();
  ASSERT_TRUE(h.ok());
  lose_connection("connection lost");
  auto st = port_->status(*h);
  EXPECT_EQ(CaptureStatus::Health::Exited, st.health);
  EXPECT_TRUE(st.host_lost) << "the runtime keeps it as an orphan to stop later";
  EXPECT_TRUE(sink_.frames.empty()) << "not fetched while it may still be writing";
  EXPECT_TRUE(ran("stat").empty());
  EXPECT_TRUE(ran("kill").empty()) << "it goes on writing until the new capture runs";
  ASSERT_EQ(1u, port_->kept().size()) << "until then it is reported as left on the host";
  host_down_ = false;
  auto again = start();  // the pin restarts once the host answers
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(3u, sink_.frames.size());
  // The new capture started before the old one was stopped.
  std::vector<std::string> order;
  for (const auto& c : conn_->commands_ran)
    if (c.rfind("start: pktcap-uw", 0) == 0 || c.rfind("ps", 0) == 0)
      order.push_back(c.substr(0, 16));
  ASSERT_GE(order.size(), 3u);
  EXPECT_EQ("start: pktcap-uw", order[1]);
  EXPECT_EQ("ps -c", order[2]);
  EXPECT_EQ(
      std::vector<std::string>{"rm " + std::string(kDir) + "/vmc-S1-esx01-33554440-both-1.pcap"},
      ran("rm"));
  EXPECT_EQ(1u, port_->kept().size()) << "only the new capture, still running";
}

// The session's end through OutputSink::fail (datastore full) keeps the output writable,
// so the files fetched while the session stops still reach it.
TEST(OutputSinkFail, EndsTheSessionButKeepsWriting) {
  const auto dir = std::filesystem::path(::testing::TempDir()) / "onhost-sink";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  capture::SessionOutputOptions so;
  so.output.path = (dir / "out.pcapng").string();
  so.merge.max_delay_ns = std::numeric_limits<int64_t>::max();
  auto sink = OutputSink::open(so, /*correct_host_clocks=*/false);
  ASSERT_TRUE(sink.ok()) << sink.error().message;
  Pin pin;
  pin.host_name = "esx01";
  pin.port_id = 33554440;
  pin.dir = model::Direction::In;
  EXPECT_EQ(std::nullopt, (*sink)->output_failure());
  (*sink)->fail("datastore full");
  (*sink)->fail("second reason");
  EXPECT_EQ(std::optional<std::string>("datastore full"), (*sink)->output_failure());
  std::vector<uint8_t> frame(60, 0xab);
  orchestrator::CapturedFrame f;
  f.ts_ns = int64_t{1000} * 1'000'000'000;  // long before now: no clock correction applies
  f.orig_len = 60;
  f.dir = model::Direction::In;
  f.data = frame;
  (*sink)->frame(pin, f);
  EXPECT_EQ(1u, (*sink)->totals().frames);
  orchestrator::SessionSummary sum;
  sum.end_reason = orchestrator::EndReason::Error;
  ASSERT_TRUE((*sink)->finalize(sum).ok());
  std::ifstream mf(capture::manifest_path_for(so.output.path));
  ASSERT_TRUE(mf.good());
  std::string manifest((std::istreambuf_iterator<char>(mf)), std::istreambuf_iterator<char>());
  EXPECT_NE(std::string::npos, manifest.find("\"frames\": 1")) << manifest;
  auto reader = capture::PcapFileReader::open(so.output.path);
  ASSERT_TRUE(reader.ok()) << reader.error().message;
  capture::FrameView v;
  auto got = (*reader)->next(v);
  ASSERT_TRUE(got.ok() && *got);
  EXPECT_EQ(f.ts_ns, v.ts_ns) << "the frame's time as captured: no clock correction";
  std::filesystem::remove_all(dir);
}

// Cut off with its connection, the old capture ran on until the new one ran: the frames
// both saw are in the output once.
TEST_F(OnHostControlTest, FramesOfTheOverlapWithACutOffCaptureAreDeliveredOnce) {
  const auto now_s = static_cast<uint32_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                               std::chrono::system_clock::now().time_since_epoch())
                                               .count());
  const std::string other = "00:50:56:00:00:99";
  // Old: 10 s ago, then two frames after the new one starts; new: those two and one more.
  std::string old_file = pcap_file({kVmMac}, now_s - 10);
  old_file += pcap_file({other, kVmMac}, now_s + 1).substr(24);
  next_file_ = old_file;
  auto h = start();
  ASSERT_TRUE(h.ok());
  lose_connection();
  EXPECT_TRUE(port_->status(*h).host_lost);
  host_down_ = false;
  next_file_ = pcap_file({other, kVmMac, other}, now_s + 1);
  auto again = start();
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(3u, sink_.frames.size()) << "the old capture's frames, all of them";
  ASSERT_TRUE(port_->stop_capture(*again).ok());
  ASSERT_EQ(4u, sink_.frames.size()) << "the new capture adds only the frame the old one missed";
  EXPECT_EQ((int64_t{now_s} + 3) * 1'000'000'000, sink_.frames[3].ts_ns);
}

TEST_F(OnHostControlTest, AnOrphanStoppedByTheRuntimeIsFetched) {
  auto h = start();
  ASSERT_TRUE(h.ok());
  lose_connection();
  EXPECT_TRUE(port_->status(*h).host_lost);
  host_down_ = false;
  ASSERT_TRUE(port_->kill_leftover(h->pid).ok());
  EXPECT_EQ(3u, sink_.frames.size());
  EXPECT_EQ(1u, ran("rm").size());
  EXPECT_TRUE(port_->kept().empty());
  // Not one of ours: only killed (nothing to fetch).
  ASSERT_TRUE(port_->kill_leftover(12345).ok());
  EXPECT_EQ(1u, ran("rm").size());
}

TEST_F(OnHostControlTest, ResolvesThroughTheStreamingPort) {
  conn_->respond(
      "net-stats -l",
      host::ExecResult{
          0,
          "PortNum          Type SubType SwitchName       MACAddress         ClientName\n"
          "33554440            5       9 vSwitch0         00:50:56:aa:00:01  testvm1.eth0\n",
          ""});
  auto r = port_->resolve_port(kVmMac);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(std::optional<int64_t>(33554440), *r);
}

}  // namespace
}  // namespace vmc::session
