#include "session/cleanup_command.h"

#include <gtest/gtest.h>

namespace vmc::session {
namespace {

TEST(CleanupCommand, SaysWhatWasUndoneAndWhatWasNot) {
  orchestrator::SessionCleanup a;
  a.id = "s1";
  a.report.killed = 2;
  a.report.restored = 1;
  a.report.notes = {"stopped pktcap-uw 4001 on esx01"};
  bool all_done = false;
  EXPECT_EQ("session s1: 2 capture(s) stopped, 1 override(s) restored\n"
            "  stopped pktcap-uw 4001 on esx01\n",
            format_cleanup({a}, all_done));
  EXPECT_TRUE(all_done);
  orchestrator::SessionCleanup b;
  b.id = "s2";
  b.report.fetched = 1;
  b.report.errors = {Error("ssh.connect", "esx02: cannot connect")};
  EXPECT_EQ("session s2: 0 capture(s) stopped, 0 override(s) restored, 1 capture file(s) fetched\n"
            "  NOT DONE: esx02: cannot connect\n"
            "some steps failed; fix the cause and run `capture cleanup` again\n",
            format_cleanup({b}, all_done));
  EXPECT_FALSE(all_done);
}

}  // namespace
}  // namespace vmc::session
