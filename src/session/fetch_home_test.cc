#include "session/fetch_home.h"

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "host/fake_host_connection.h"
#include "host/on_host_output.h"
#include "host/sha256.h"
#include "session/ssh_host_control.h"

namespace vmc::session {
namespace {

using host::ExecResult;

const std::string kRemote = "/vmfs/volumes/datastore1/vm-capture/vmc-s-esx01-100-both-1.pcap";

std::string temp_dir() {
  std::string tmpl = ::testing::TempDir() + "vmc-fetch-XXXXXX";
  EXPECT_NE(nullptr, ::mkdtemp(tmpl.data()));
  return tmpl;
}

bool exists(const std::string& p) {
  struct stat st {};
  return ::lstat(p.c_str(), &st) == 0;
}

std::string read(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A host that has kRemote with `content` and serves `served` for it (a broken transfer
// serves other bytes); `rm_status` is what `rm` exits with.
void host_with_file(host::FakeHostConnection& conn, const std::string& content, const std::string& served,
                    int rm_status = 0) {
  host::Sha256 h;
  h.update(content);
  conn.respond("stat -c %s " + kRemote, ExecResult{0, std::to_string(content.size()) + "\n", ""});
  conn.respond("sha256sum " + kRemote, ExecResult{0, h.hex_digest() + "  " + kRemote + "\n", ""});
  conn.respond("rm " + kRemote,
               ExecResult{rm_status, "", rm_status ? "rm: can't remove: Read-only file system\n" : ""});
  conn.on_start = [served](host::FakeProcess& p) {
    for (size_t i = 0; i < served.size(); i += 5000) p.emit_stdout(served.substr(i, 5000));
    p.exit(host::ProcessExit{0, "", false, "exited with status 0"});
  };
}

bool ran(const host::FakeHostConnection& conn, const std::string& command) {
  for (const auto& c : conn.commands_ran)
    if (c == command) return true;
  return false;
}

const std::string kContent = std::string("\xd4\xc3\xb2\xa1", 4) + std::string(20000, 'x');

TEST(FetchHome, CopiesVerifiesSavesThenRemoves) {
  const std::string dir = temp_dir(), local = dir + "/copy.pcap";
  host::FakeHostConnection conn;
  host_with_file(conn, kContent, kContent);
  auto r = fetch_home(conn, kRemote, local);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(kContent.size(), r->bytes);
  EXPECT_EQ(64u, r->sha256.size());
  EXPECT_TRUE(r->not_removed.empty());
  EXPECT_EQ(kContent, read(local));
  EXPECT_FALSE(exists(local + ".part"));
  EXPECT_EQ("rm " + kRemote, conn.commands_ran.back());
}

TEST(FetchHome, ABadCopyLeavesNoLocalFileAndKeepsTheRemoteOne) {
  const std::string dir = temp_dir(), local = dir + "/copy.pcap";
  host::FakeHostConnection conn;
  host_with_file(conn, kContent, kContent.substr(0, 9000));  // cut short
  auto r = fetch_home(conn, kRemote, local);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ("onhost.verify", r.error().code);
  EXPECT_NE(std::string::npos, r.error().message.find("kept on the host")) << r.error().message;
  EXPECT_FALSE(exists(local));
  EXPECT_FALSE(exists(local + ".part"));
  EXPECT_FALSE(ran(conn, "rm " + kRemote));
}

TEST(FetchHome, AnUnwritableLocalDirectoryKeepsTheRemoteFile) {
  host::FakeHostConnection conn;
  host_with_file(conn, kContent, kContent);
  auto r = fetch_home(conn, kRemote, temp_dir() + "/no/such/dir/copy.pcap");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ("onhost.local", r.error().code);
  EXPECT_TRUE(conn.commands_ran.empty()) << "asked the host before the local file could be made";
}

TEST(FetchHome, AFailedRemoveIsReportedButTheCopyIsGood) {
  const std::string dir = temp_dir(), local = dir + "/copy.pcap";
  host::FakeHostConnection conn;
  host_with_file(conn, kContent, kContent, /*rm_status=*/1);
  auto r = fetch_home(conn, kRemote, local);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(kContent, read(local));
  EXPECT_EQ("esx01:" + kRemote + " was fetched and verified (20004 bytes) but could not be removed: "
                "\"rm: can't remove: Read-only file system\"; remove it by hand",
            r->not_removed);
}

// What `capture cleanup` asks of the streaming port: only files of ours, never over an
// existing local file.
TEST(FetchLeftoverFile, RefusesForeignPathsAndExistingLocalFiles) {
  auto* conn = new host::FakeHostConnection("esx01");
  model::HostInfo info;
  info.name = "esx01";
  SshHostControl port(info, std::unique_ptr<host::HostConnection>(conn));
  const std::string dir = temp_dir();
  for (const std::string bad :
       {"/etc/shadow", "/vmfs/volumes/datastore1/../../etc/vmc-x.pcap", "/vmfs/volumes/ds/notours.pcap",
        "/vmfs/volumes/ds/vmc-x.pcapng", "vmfs/volumes/ds/vmc-x.pcap", "/var/log/vmc-x.pcap",
        "/vmfs/volumes/ds//vmc-x.pcap"}) {
    auto r = port.fetch_leftover_file(bad, dir + "/x.pcap");
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ("onhost.path", r.error().code) << bad;
  }
  EXPECT_TRUE(conn->commands_ran.empty());

  std::ofstream(dir + "/vmc-s-esx01-100-both-1.pcap") << "earlier";
  auto r = port.fetch_leftover_file(kRemote, dir + "/vmc-s-esx01-100-both-1.pcap");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ("onhost.local", r.error().code);
  EXPECT_NE(std::string::npos, r.error().message.find("exists already")) << r.error().message;
  EXPECT_EQ("earlier", read(dir + "/vmc-s-esx01-100-both-1.pcap"));
  EXPECT_TRUE(conn->commands_ran.empty());

  host_with_file(*conn, kContent, kContent);
  auto ok = port.fetch_leftover_file(kRemote, dir + "/new.pcap");
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ(kContent, read(dir + "/new.pcap"));
  // /tmp is ours too (on-host output forced there).
  EXPECT_TRUE(host::is_capture_file_path("/tmp/vmc-s-esx01-100-both-1.pcap"));
}

}  // namespace
}  // namespace vmc::session
