#include "orchestrator/journal.h"

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

namespace vmc::orchestrator {
namespace {

using namespace std::chrono_literals;
using Kind = JournalRecord::Kind;

std::string temp_dir() {
  std::string tmpl = ::testing::TempDir() + "vmc-journal-XXXXXX";
  char* d = ::mkdtemp(tmpl.data());
  EXPECT_NE(nullptr, d);
  return tmpl;
}

const model::TimePoint kT = *parse_time("2026-11-26T07:25:00.123Z");

TEST(Journal, TimeRoundTripsWithMilliseconds) {
  EXPECT_EQ("2026-11-26T07:25:00.123Z", format_time(kT));
  EXPECT_FALSE(parse_time("2026-11-26 07:25:00"));
  EXPECT_FALSE(parse_time(""));
  // A damaged line whose type or time is not a string is an error, not a crash (found
  // by fuzzing).
  for (const char* bad : {R"({"type":5,"at":"2026-11-26T07:25:00.123Z"})",
                          R"({"type":"session.start","at":17})", R"({"type":["x"]})",
                          R"({"type":"session.start","at":"2026-11-26T07:25:00.123Z","pid":1.2e21})",
                          R"({"type":"session.start","at":"2026-11-26T07:25:00.123Z","pid":2.5})",
                          R"({"type":"session.start","at":"2026-11-26T07:25:00.123Z","pid":18446744073709551615})"}) {
    auto r = parse_journal_line(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ("journal.field", r.error().code) << bad;
  }
  // Out of range fields, and years whose nanoseconds overflow (found by fuzzing).
  EXPECT_FALSE(parse_time("9999-11-26T07:25:00.123Z"));
  EXPECT_FALSE(parse_time("2026-13-26T07:25:00.123Z"));
  EXPECT_FALSE(parse_time("2026-11-26T07:25:00.-12Z"));
  EXPECT_TRUE(parse_time("2261-12-31T23:59:59.999Z"));
  EXPECT_EQ("20261126T072500Z-4242", make_session_id(kT, 4242));
}

TEST(Journal, EveryRecordKindRoundTrips) {
  std::vector<JournalRecord> in(5);
  in[0].kind = Kind::SessionStart;
  in[0].session_id = "20261126T072500Z-4242";
  in[0].pid = 4242;
  in[0].name = "vm testvm1";
  in[1].kind = Kind::ProcessStarted;
  in[1].host = model::MoRef{"HostSystem", "host-1"};
  in[1].host_name = "esx01";
  in[1].host_address = "10.0.0.1";
  in[1].remote_pid = 1001;
  in[1].pin_key = "host-1|port:100|both|vm-1|00:50:56:00:00:01";
  in[1].pin_name = "esx01 port 100 both";
  in[2].kind = Kind::OverrideSet;
  in[2].cluster = model::MoRef{"ClusterComputeResource", "c1"};
  in[2].vm = model::MoRef{"VirtualMachine", "vm-1"};
  in[2].previous = model::DrsVmOverride{in[2].vm, true, "fullyAutomated"};
  in[2].applied = model::DrsVmOverride{in[2].vm, true, "manual"};
  in[3] = in[2];
  in[3].kind = Kind::OverrideRestored;
  in[3].previous.reset();
  in[4].kind = Kind::SessionEnd;
  in[4].detail = "stop requested";
  for (auto& r : in) {
    r.at = kT;
    auto line = to_json_line(r);
    EXPECT_EQ(std::string::npos, line.find('\n'));
    auto back = parse_journal_line(line);
    ASSERT_TRUE(back.ok()) << line << ": " << back.error().message;
    EXPECT_EQ(line, to_json_line(back.value()));
  }
  auto back = parse_journal_line(to_json_line(in[2]));
  EXPECT_EQ("fullyAutomated", back->previous->behavior);
  EXPECT_EQ("vm-1", back->previous->vm.value);
  EXPECT_EQ("c1", back->cluster.value);
}

TEST(Journal, BadLinesSayWhatIsWrong) {
  EXPECT_EQ("journal.syntax", parse_journal_line("{\"type\":").error().code);
  EXPECT_EQ("journal.type", parse_journal_line("{\"type\":\"x\",\"at\":\"2026-11-26T07:25:00.123Z\"}").error().code);
  EXPECT_EQ("journal.time", parse_journal_line("{\"type\":\"session.end\"}").error().code);
  EXPECT_EQ("journal.field",
            parse_journal_line("{\"type\":\"process.started\",\"at\":\"2026-11-26T07:25:00.123Z\",\"host\":\"HostSystem:h\"}")
                .error().code);
  EXPECT_EQ("journal.field",
            parse_journal_line("{\"type\":\"process.started\",\"at\":\"2026-11-26T07:25:00.123Z\",\"host\":\"HostSystem:h\",\"remote_pid\":\"7\"}")
                .error().code);
}

TEST(Journal, FileIsPrivateAndReadsBack) {
  std::string dir = temp_dir() + "/state/vm-capture";
  auto j = FileJournal::create(dir, "s1");
  ASSERT_TRUE(j.ok()) << j.error().message;
  struct stat st{};
  ASSERT_EQ(0, ::stat(dir.c_str(), &st));
  EXPECT_EQ(0700u, st.st_mode & 0777);

  JournalRecord a;
  a.kind = Kind::SessionStart;
  a.at = kT;
  a.pid = 7;
  JournalRecord b;
  b.kind = Kind::SessionEnd;
  b.at = kT + 1s;
  ASSERT_TRUE(j.value()->append(a).ok());
  ASSERT_EQ(0, ::stat(j.value()->path().c_str(), &st));
  EXPECT_EQ(0600u, st.st_mode & 0777);
  ASSERT_TRUE(j.value()->append(b).ok());
  auto back = read_journal(dir + "/s1.jsonl");
  ASSERT_TRUE(back.ok());
  ASSERT_EQ(2u, back->size());
  EXPECT_EQ(7, (*back)[0].pid);
  EXPECT_EQ(kT + 1s, (*back)[1].at);

  // One file per session: the same id twice is refused.
  auto again = FileJournal::create(dir, "s1");
  ASSERT_FALSE(again.ok());
  EXPECT_EQ("journal.create", again.error().code);
}

TEST(Journal, ASessionRefusedBeforeItStartsLeavesNoFile) {
  // `capture plan run` creates the journal, then may be refused (output not writable,
  // spec refused): no file must be left for `capture status` to show as a session.
  std::string dir = temp_dir();
  std::string path;
  {
    auto j = FileJournal::create(dir, "refused");
    ASSERT_TRUE(j.ok()) << j.error().message;
    path = j.value()->path();
  }
  EXPECT_EQ(dir + "/refused.jsonl", path);
  EXPECT_FALSE(std::filesystem::exists(path));
  EXPECT_TRUE(std::filesystem::is_empty(dir));

  // The first record of a new journal is the session's start; anything else is refused
  // and leaves no file.
  auto j = FileJournal::create(dir, "s2");
  ASSERT_TRUE(j.ok());
  JournalRecord end;
  end.kind = Kind::SessionEnd;
  end.at = kT;
  auto st = j.value()->append(end);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ("journal.order", st.error().code);
  EXPECT_NE(std::string::npos, st.error().message.find(dir + "/s2.jsonl")) << st.error().message;
  EXPECT_TRUE(std::filesystem::is_empty(dir));
  JournalRecord start;
  start.kind = Kind::SessionStart;
  start.at = kT;
  start.pid = 9;
  ASSERT_TRUE(j.value()->append(start).ok());
  ASSERT_TRUE(j.value()->append(end).ok());
  auto back = read_journal(dir + "/s2.jsonl");
  ASSERT_TRUE(back.ok());
  ASSERT_EQ(2u, back->size());
  EXPECT_EQ(Kind::SessionStart, (*back)[0].kind);
}

TEST(Journal, TornLastLineIsSkippedBadMiddleLineIsAnError) {
  std::string dir = temp_dir();
  std::string path = dir + "/torn.jsonl";
  JournalRecord a;
  a.kind = Kind::SessionStart;
  a.at = kT;
  {
    std::ofstream f(path);
    f << to_json_line(a) << "\n" << to_json_line(a).substr(0, 20);
  }
  auto r = read_journal(path);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(1u, r->size());
  {
    std::ofstream f(path);
    f << to_json_line(a) << "\n" << "garbage\n" << to_json_line(a) << "\n";
  }
  auto bad = read_journal(path);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(path + ":2: not a JSON object", bad.error().message);
}

TEST(Journal, BytesThatAreNotUtf8AreKeptAsReplacementCharacters) {
  // VM names, host output and error messages come from outside and may hold any bytes;
  // the record must still be written (nlohmann's dump throws type_error 316 on them).
  const std::string bad = "caf\xE9 \xFF\xFE \xC0\xAF";
  const std::string fixed = "caf\xEF\xBF\xBD \xEF\xBF\xBD\xEF\xBF\xBD \xEF\xBF\xBD\xEF\xBF\xBD";
  JournalRecord start;
  start.kind = Kind::SessionStart;
  start.at = kT;
  start.session_id = "s1";
  start.pid = 7;
  start.name = "vm " + bad;
  JournalRecord proc;
  proc.kind = Kind::ProcessStarted;
  proc.at = kT;
  proc.host = model::MoRef{"HostSystem", "host-" + bad};
  proc.host_name = bad;
  proc.host_address = bad;
  proc.remote_pid = 1001;
  proc.pin_key = bad;
  proc.pin_name = bad;
  proc.detail = "host said: " + bad;

  std::string line;
  ASSERT_NO_THROW(line = to_json_line(start));
  auto back = parse_journal_line(line);
  ASSERT_TRUE(back.ok()) << line << ": " << back.error().message;
  EXPECT_EQ("vm " + fixed, back->name);
  EXPECT_EQ(7, back->pid);

  ASSERT_NO_THROW(line = to_json_line(proc));
  back = parse_journal_line(line);
  ASSERT_TRUE(back.ok()) << line << ": " << back.error().message;
  EXPECT_EQ("host-" + fixed, back->host.value);
  EXPECT_EQ(fixed, back->host_name);
  EXPECT_EQ(fixed, back->host_address);
  EXPECT_EQ(fixed, back->pin_key);
  EXPECT_EQ(fixed, back->pin_name);
  EXPECT_EQ("host said: " + fixed, back->detail);
  EXPECT_EQ(1001, back->remote_pid);

  // Through the file: nothing is thrown and no record is lost.
  std::string dir = temp_dir();
  auto j = FileJournal::create(dir, "bad-bytes");
  ASSERT_TRUE(j.ok()) << j.error().message;
  Status st;
  ASSERT_NO_THROW(st = j.value()->append(start));
  EXPECT_TRUE(st.ok());
  ASSERT_NO_THROW(st = j.value()->append(proc));
  EXPECT_TRUE(st.ok());
  auto all = read_journal(j.value()->path());
  ASSERT_TRUE(all.ok()) << all.error().message;
  ASSERT_EQ(2u, all->size());
  EXPECT_EQ(fixed, (*all)[1].host_name);
}

TEST(Journal, StateDirFollowsXdg) {
  const char* old = std::getenv("XDG_STATE_HOME");
  std::string saved = old ? old : "";
  ::setenv("XDG_STATE_HOME", "/x/state", 1);
  EXPECT_EQ("/x/state/vm-capture", default_state_dir());
  ::setenv("XDG_STATE_HOME", "relative", 1);  // not absolute: ignored, as the spec says
  const char* home = std::getenv("HOME");
  EXPECT_EQ(std::string(home ? home : ".") + "/.local/state/vm-capture", default_state_dir());
  if (old) ::setenv("XDG_STATE_HOME", saved.c_str(), 1); else ::unsetenv("XDG_STATE_HOME");
}

}  // namespace
}  // namespace vmc::orchestrator
