#include "cli/cmd_status.h"

#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "orchestrator/journal.h"

namespace vmc::cli {
namespace {

using namespace std::chrono_literals;
using orchestrator::JournalRecord;
using Kind = JournalRecord::Kind;

const model::TimePoint kT = *orchestrator::parse_time("2026-11-26T07:25:00.123Z");

struct StatusRun {
  int rc = -1;
  std::string out, err;
};

class StatusTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "vmc-status-XXXXXX";
    ASSERT_NE(nullptr, ::mkdtemp(tmpl.data()));
    root_ = tmpl;
    dir_ = root_ + "/state";
    ASSERT_EQ(0, ::mkdir(dir_.c_str(), 0700));
  }
  void TearDown() override {
    ::chmod(dir_.c_str(), 0700);
    std::filesystem::remove_all(root_);
  }

  StatusRun status(uid_t me = ::geteuid()) {
    StatusOptions o;
    o.state_dir = dir_;
    o.alive = [](int64_t) { return false; };
    o.me = me;
    std::ostringstream out, err;
    StatusRun r;
    r.rc = show_status(o, out, err);
    r.out = out.str();
    r.err = err.str();
    return r;
  }

  // A session that started and ended: what every good journal looks like.
  std::string good_session(const std::string& id, int64_t pid) {
    auto j = orchestrator::FileJournal::create(dir_, id);
    EXPECT_TRUE(j.ok());
    JournalRecord start;
    start.kind = Kind::SessionStart;
    start.at = kT;
    start.session_id = id;
    start.pid = pid;
    start.name = "vm testvm1";
    EXPECT_TRUE(j.value()->append(start).ok());
    JournalRecord end;
    end.kind = Kind::SessionEnd;
    end.at = kT + 5s;
    EXPECT_TRUE(j.value()->append(end).ok());
    return j.value()->path();
  }

  std::string write_file(const std::string& name, const std::string& text, mode_t mode = 0600) {
    std::string path = dir_ + "/" + name;
    std::ofstream(path, std::ios::binary) << text;
    ::chmod(path.c_str(), mode);
    return path;
  }

  std::string root_, dir_;
};

TEST_F(StatusTest, HealthySessionsAreListedAndExitZero) {
  good_session("20261126T072500Z-4242", 4242);
  auto r = status();
  EXPECT_EQ(0, r.rc) << r.err;
  EXPECT_EQ("", r.err);
  EXPECT_EQ("20261126T072500Z-4242  finished  pid 4242  2026-11-26T07:25:00.123Z  vm testvm1\n",
            r.out);
}

TEST_F(StatusTest, MissingDirectoryIsNoSessions) {
  std::filesystem::remove_all(dir_);
  auto r = status();
  EXPECT_EQ(0, r.rc);
  EXPECT_EQ("no sessions\n", r.out);
  EXPECT_EQ("", r.err);
}

TEST_F(StatusTest, JournalWithoutAStartIsNamedDamagedNeverListedAsPidZero) {
  // What a `capture plan run` refused after its journal was made used to leave: an empty
  // file that status showed as a session "pid 0" started in 1970.
  good_session("20261126T072500Z-4242", 4242);
  const std::string empty = write_file("20261126T080000Z-99.jsonl", "");
  auto r = status();
  EXPECT_EQ(1, r.rc);
  EXPECT_EQ(std::string::npos, r.out.find("pid 0")) << r.out;
  EXPECT_EQ(std::string::npos, r.out.find("1970")) << r.out;
  EXPECT_EQ(std::string::npos, r.out.find("80000Z-99")) << r.out;
  EXPECT_NE(std::string::npos, r.out.find("pid 4242")) << r.out;
  EXPECT_NE(std::string::npos, r.err.find("journal " + empty + " is damaged: it has no session start"))
      << r.err;
  EXPECT_NE(std::string::npos, r.err.find("rm " + empty)) << r.err;
}

TEST_F(StatusTest, JournalWithoutAStartButWithCapturesPointsToCleanup) {
  JournalRecord proc;
  proc.kind = Kind::ProcessStarted;
  proc.at = kT;
  proc.host = model::MoRef{"HostSystem", "host-1"};
  proc.host_name = "esx01";
  proc.remote_pid = 1001;
  const std::string path = write_file("x.jsonl", orchestrator::to_json_line(proc) + "\n");
  auto r = status();
  EXPECT_EQ(1, r.rc);
  EXPECT_EQ(std::string::npos, r.out.find("pid 0")) << r.out;
  EXPECT_NE(std::string::npos, r.err.find("journal " + path + " is damaged")) << r.err;
  EXPECT_NE(std::string::npos, r.err.find("capture cleanup")) << r.err;
}

TEST_F(StatusTest, UnparsableJournalIsNamedWithItsLineAndWhatToDo) {
  good_session("20261126T072500Z-4242", 4242);
  JournalRecord start;
  start.kind = Kind::SessionStart;
  start.at = kT;
  start.pid = 77;
  const std::string bad = write_file(
      "20261126T090000Z-77.jsonl", orchestrator::to_json_line(start) + "\n{\"type\":\n" +
                                       orchestrator::to_json_line(start) + "\n");
  auto r = status();
  EXPECT_EQ(1, r.rc);
  EXPECT_NE(std::string::npos, r.err.find(bad + ":2: not a JSON object")) << r.err;
  EXPECT_NE(std::string::npos, r.err.find("then remove it")) << r.err;
  EXPECT_EQ(std::string::npos, r.out.find("90000Z-77")) << r.out;
  EXPECT_NE(std::string::npos, r.out.find("pid 4242")) << r.out;
}

TEST_F(StatusTest, DirectoryOthersCanWriteIsNotTrusted) {
  good_session("s1", 1);
  ASSERT_EQ(0, ::chmod(dir_.c_str(), 0777));
  auto r = status();
  EXPECT_EQ(1, r.rc);
  EXPECT_NE(std::string::npos, r.err.find(dir_ + " can be written by others (mode 0777)")) << r.err;
  EXPECT_NE(std::string::npos, r.err.find("chmod 700 " + dir_)) << r.err;
  EXPECT_EQ("", r.out);
}

TEST_F(StatusTest, JournalOthersCanWriteIsNotTrustedOthersCanReadIsAWarning) {
  const std::string path = good_session("s1", 1);
  ASSERT_EQ(0, ::chmod(path.c_str(), 0666));
  auto r = status();
  EXPECT_EQ(1, r.rc);
  EXPECT_NE(std::string::npos, r.err.find("chmod 600 " + path)) << r.err;
  EXPECT_EQ(std::string::npos, r.out.find("s1")) << r.out;

  ASSERT_EQ(0, ::chmod(path.c_str(), 0644));
  ASSERT_EQ(0, ::chmod(dir_.c_str(), 0755));
  r = status();
  EXPECT_EQ(0, r.rc) << r.err;
  EXPECT_NE(std::string::npos, r.err.find("warning: " + dir_ + " can be read by others")) << r.err;
  EXPECT_NE(std::string::npos, r.err.find("warning: " + path + " can be read by others")) << r.err;
  EXPECT_NE(std::string::npos, r.out.find("s1  finished  pid 1")) << r.out;
}

TEST_F(StatusTest, DirectoryOfAnotherUserIsNotTrusted) {
  good_session("s1", 1);
  const uid_t other = ::geteuid() + 1;
  auto r = status(other);
  EXPECT_EQ(1, r.rc);
  EXPECT_NE(std::string::npos,
            r.err.find(dir_ + " belongs to uid " + std::to_string(::geteuid()) + ", not to you"))
      << r.err;
  EXPECT_NE(std::string::npos, r.err.find("--state-dir")) << r.err;
  EXPECT_EQ("", r.out);
}

TEST_F(StatusTest, StateDirectoryThatCannotBeReadSaysSo) {
  // A symbolic link loop cannot be followed, whoever runs the test (root reads any mode).
  std::filesystem::remove_all(dir_);
  ASSERT_EQ(0, ::symlink(dir_.c_str(), dir_.c_str()));
  auto r = status();
  EXPECT_EQ(1, r.rc);
  EXPECT_NE(std::string::npos, r.err.find("cannot read the state directory " + dir_ + ": ")) << r.err;
  EXPECT_NE(std::string::npos, r.err.find("cannot be shown")) << r.err;
  EXPECT_EQ("", r.out);

  ::unlink(dir_.c_str());
  std::ofstream(dir_) << "not a directory\n";
  r = status();
  EXPECT_EQ(1, r.rc);
  EXPECT_NE(std::string::npos, r.err.find("the state directory " + dir_ + " is not a directory"))
      << r.err;
  ::unlink(dir_.c_str());
}

TEST_F(StatusTest, JournalThatIsALinkIsNotFollowed) {
  const std::string target = root_ + "/elsewhere.jsonl";
  std::ofstream(target) << "";
  const std::string link = dir_ + "/s9.jsonl";
  ASSERT_EQ(0, ::symlink(target.c_str(), link.c_str()));
  auto r = status();
  EXPECT_EQ(1, r.rc);
  EXPECT_NE(std::string::npos, r.err.find("journal " + link + " is not a regular file")) << r.err;
}

}  // namespace
}  // namespace vmc::cli
