#include "host/on_host_output.h"

#include <gtest/gtest.h>

#include "host/fake_host_connection.h"
#include "host/sha256.h"

namespace vmc::host {
namespace {

model::OutputSpec ds(const std::string& d, bool force = false) {
  model::OutputSpec o;
  o.on_host = true;
  o.datastore = d;
  o.force_tmp = force;
  return o;
}

TEST(OnHostDirectory, Choices) {
  EXPECT_EQ(*on_host_directory(ds("datastore1")), "/vmfs/volumes/datastore1/vm-capture");
  EXPECT_EQ(*on_host_directory(ds("/vmfs/volumes/datastore1/caps")), "/vmfs/volumes/datastore1/caps");
  EXPECT_EQ(*on_host_directory(ds("/tmp/caps", true)), "/tmp/caps");
  struct Case {
    std::string in;
    const char* code;
  };
  for (const Case& c : {Case{"/tmp", "onhost.tmp"}, Case{"/tmp/x", "onhost.tmp"}, Case{"", "onhost.datastore"},
                        Case{"../etc", "onhost.datastore"}, Case{"a/b", "onhost.datastore"},
                        Case{"/scratch/log", "onhost.path"}, Case{"/vmfs/volumes", "onhost.path"},
                        Case{"/vmfs/volumes/", "onhost.path"}, Case{"/vmfs/volumes/ds/../../tmp", "onhost.path"},
                        Case{"/", "onhost.path"}, Case{"/vmfs/volumesX/ds", "onhost.path"}}) {
    auto r = on_host_directory(ds(c.in));
    ASSERT_FALSE(r.ok()) << c.in;
    EXPECT_EQ(r.error().code, c.code) << c.in << ": " << r.error().message;
  }
  EXPECT_NE(on_host_directory(ds("/tmp/x")).error().message.find("256 MB"), std::string::npos);
}

const char* kVdf =
    "Filesystem      1K-blocks         Used    Available Use% Mounted on\n"
    "VMFS-6          524288000    125829120    398458880  24% /vmfs/volumes/datastore1\n"
    "VMFS-6            1048576      1040000         8576  99% /vmfs/volumes/tiny\n"
    "-----\n"
    "Ramdisk                   Size      Used Available Use% Mounted on\n"
    "tmp                     262144    100000    162144  38% --\n";

TEST(RemoteSpace, BeforeAndWhileRunning) {
  FakeHostConnection conn;
  conn.respond("vdf", ExecResult{0, kVdf, ""});
  auto big = remote_space(conn, "/vmfs/volumes/datastore1/vm-capture/a.pcap");
  ASSERT_TRUE(big.ok());
  EXPECT_EQ(big->avail, 398458880LL * 1024);
  EXPECT_TRUE(check_space(*big).ok);
  EXPECT_FALSE(check_space(*big, big->avail).ok);

  auto tiny = remote_space(conn, "/vmfs/volumes/tiny/x");
  ASSERT_TRUE(tiny.ok());
  auto c = check_space(*tiny);
  EXPECT_FALSE(c.ok);
  EXPECT_EQ(c.reserve, 1048576LL * 1024 / 50);  // 2% of 1 GiB is above the 16 MiB floor
  EXPECT_NE(c.message.find("/vmfs/volumes/tiny has 8 MiB free"), std::string::npos) << c.message;

  FsUsage huge{"VMFS-6", int64_t{500} << 30, 0, int64_t{2} << 30, 0, "/vmfs/volumes/big", false};
  EXPECT_EQ(check_space(huge).reserve, int64_t{1} << 30);
  EXPECT_TRUE(check_space(huge).ok);
  EXPECT_TRUE(check_space(huge, int64_t{1} << 30).ok);  // exactly the reserve left
  EXPECT_FALSE(check_space(huge, (int64_t{1} << 30) + 1).ok);
  FsUsage small{"tmp", 256 << 20, 0, 100 << 20, 0, "--", true};
  EXPECT_EQ(check_space(small).reserve, 16 << 20);
  EXPECT_TRUE(check_space(small).ok);

  auto tmp = remote_space(conn, "/tmp/x");
  ASSERT_TRUE(tmp.ok());
  EXPECT_TRUE(tmp->ramdisk);
  EXPECT_EQ(tmp->avail, 162144LL * 1024);

  auto none = remote_space(conn, "/vmfs/volumes/other/x");
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().code, "onhost.datastore");
}

struct FetchHarness {
  FakeHostConnection conn;
  std::string content = std::string("\x0a\x0d\x0d\x0a", 4) + std::string(100000, 'p');
  std::string local;
  FetchHarness(const std::string& served, int cat_status = 0) {
    Sha256 h;
    h.update(content);
    conn.respond("stat -c %s /vmfs/volumes/ds1/vm-capture/a.pcapng",
                 ExecResult{0, std::to_string(content.size()) + "\n", ""});
    conn.respond("sha256sum /vmfs/volumes/ds1/vm-capture/a.pcapng",
                 ExecResult{0, h.hex_digest() + "  /vmfs/volumes/ds1/vm-capture/a.pcapng\n", ""});
    conn.respond("rm /vmfs/volumes/ds1/vm-capture/a.pcapng", ExecResult{0, "", ""});
    conn.on_start = [served, cat_status](FakeProcess& p) {
      for (size_t i = 0; i < served.size(); i += 7000) p.emit_stdout(served.substr(i, 7000));
      p.exit(ProcessExit{cat_status, "", false, "exited with status " + std::to_string(cat_status)});
    };
  }
  Result<FetchReport> fetch(bool remove = true) {
    return fetch_verified(conn, "/vmfs/volumes/ds1/vm-capture/a.pcapng",
                          [this](std::string_view d) -> Status {
                            local.append(d);
                            return {};
                          },
                          remove);
  }
  bool removed() const {
    for (const auto& c : conn.commands_ran) {
      if (c.rfind("rm ", 0) == 0) return true;
    }
    return false;
  }
};

TEST(FetchVerified, VerifiesThenRemoves) {
  FetchHarness h(std::string("\x0a\x0d\x0d\x0a", 4) + std::string(100000, 'p'));
  auto r = h.fetch();
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->bytes, h.content.size());
  EXPECT_TRUE(r->removed);
  EXPECT_EQ(h.local, h.content);
  EXPECT_EQ(h.conn.commands_ran.back(), "rm /vmfs/volumes/ds1/vm-capture/a.pcapng");
  EXPECT_EQ(h.conn.commands_ran[2], "start: cat /vmfs/volumes/ds1/vm-capture/a.pcapng");
}

TEST(FetchVerified, KeepsTheFileOnMismatchOrFailure) {
  {
    std::string corrupt = std::string("\x0a\x0d\x0d\x0a", 4) + std::string(100000, 'q');
    FetchHarness h(corrupt);
    auto r = h.fetch();
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, "onhost.verify");
    EXPECT_NE(r.error().message.find("kept on the host"), std::string::npos);
    EXPECT_FALSE(h.removed());
  }
  {
    FetchHarness h(std::string("\x0a\x0d\x0d\x0a", 4) + std::string(500, 'p'));  // truncated
    auto r = h.fetch();
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, "onhost.verify");
    EXPECT_FALSE(h.removed());
  }
  {
    FetchHarness h(std::string(), 1);
    auto r = h.fetch();
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, "onhost.fetch");
    EXPECT_FALSE(h.removed());
  }
  {
    FetchHarness h(std::string("\x0a\x0d\x0d\x0a", 4) + std::string(100000, 'p'));
    auto r = fetch_verified(h.conn, "/vmfs/volumes/ds1/vm-capture/a.pcapng",
                            [](std::string_view) -> Status { return Error("io", "disk full"); }, true);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("disk full"), std::string::npos);
    EXPECT_FALSE(h.removed());
  }
  {
    FetchHarness h(std::string("\x0a\x0d\x0d\x0a", 4) + std::string(100000, 'p'));
    auto r = h.fetch(false);
    ASSERT_TRUE(r.ok());
    EXPECT_FALSE(r->removed);
    EXPECT_FALSE(h.removed());
  }
}

TEST(FetchVerified, MissingFile) {
  FakeHostConnection conn;
  conn.respond("stat -c %s /vmfs/volumes/ds1/x",
               ExecResult{1, "", "stat: can't stat '/vmfs/volumes/ds1/x': No such file or directory\n"});
  auto r = fetch_verified(conn, "/vmfs/volumes/ds1/x", [](std::string_view) -> Status { return {}; }, true);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "onhost.missing");
  EXPECT_EQ(r.error().message, "esx01:/vmfs/volumes/ds1/x: no such file on the host");
  EXPECT_EQ(conn.commands_ran.size(), 1u);
  // Any other `stat` failure is not "missing": the file may be there.
  FakeHostConnection denied;
  denied.respond("stat -c %s /vmfs/volumes/ds1/x",
                 ExecResult{1, "", "stat: can't stat '/vmfs/volumes/ds1/x': Permission denied\n"});
  auto d = fetch_verified(denied, "/vmfs/volumes/ds1/x", [](std::string_view) -> Status { return {}; }, true);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().code, "onhost.fetch");
  EXPECT_NE(d.error().message.find("kept on the host"), std::string::npos);
}

}  // namespace
}  // namespace vmc::host
