#include "session/on_host_space.h"

#include <gtest/gtest.h>

#include "host/fake_host_connection.h"

namespace vmc::session {
namespace {

constexpr const char* kDir = "/vmfs/volumes/datastore1/vm-capture";

class DatastoreWatchTest : public ::testing::Test {
 protected:
  DatastoreWatchTest() {
    conn.handler = [this](const std::vector<std::string>& argv) -> std::optional<Result<host::ExecResult>> {
      if (argv.at(0) != "vdf") return std::nullopt;
      ++vdf_runs;
      host::ExecResult r;
      r.exit_status = 0;
      const int64_t size = 1024 * 1024;  // 1 GiB in KiB: the reserve is 20 MiB
      r.out = "Filesystem 1K-blocks Used Available Use% Mounted on\nVMFS-6 " + std::to_string(size) +
              " " + std::to_string(size - avail_kib) + " " + std::to_string(avail_kib) +
              " 50% /vmfs/volumes/datastore1\n";
      return Result<host::ExecResult>(r);
    };
  }
  host::FakeHostConnection conn{"esx01"};
  int64_t avail_kib = 512 * 1024;
  int vdf_runs = 0;
  std::vector<std::string> ended;
  DatastoreWatch watch{"esx01", conn, std::chrono::hours(1),
                       [this](const std::string& why) { ended.push_back(why); }};
};

TEST_F(DatastoreWatchTest, StartsWithRoomRefusesBelowTheReserve) {
  EXPECT_TRUE(watch.room_to_start(kDir, "esx01 port 1 both").ok());
  avail_kib = 1024;
  auto st = watch.room_to_start(kDir, "esx01 port 1 both");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ("onhost.space", st.error().code);
  EXPECT_NE(std::string::npos, st.error().message.find("on-host capture of esx01 port 1 both not started: "
                                                       "datastore /vmfs/volumes/datastore1 on esx01 has 1 MiB free"))
      << st.error().message;
  EXPECT_TRUE(ended.empty()) << "a refused start does not end the session";
}

TEST_F(DatastoreWatchTest, FullWhileCapturingEndsTheSessionOnceAndStaysFull) {
  EXPECT_FALSE(watch.check()) << "no capture directory yet: nothing to check";
  EXPECT_EQ(0, vdf_runs);
  watch.capturing_in(kDir);
  EXPECT_FALSE(watch.check_if_due());
  EXPECT_FALSE(watch.check_if_due()) << "checked at most once per interval";
  EXPECT_EQ(1, vdf_runs);
  avail_kib = 1024;
  auto full = watch.check();
  ASSERT_TRUE(full);
  EXPECT_EQ(0u, full->rfind("on-host output: datastore /vmfs/volumes/datastore1 on esx01", 0)) << *full;
  avail_kib = 512 * 1024;  // freed: the session still ends
  EXPECT_EQ(full, watch.check());
  EXPECT_EQ(full, watch.full());
  ASSERT_EQ(1u, ended.size());
  EXPECT_EQ(*full, ended[0]);
  auto st = watch.room_to_start(kDir, "esx01 port 2 both");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(*full, st.error().message);
}

}  // namespace
}  // namespace vmc::session
