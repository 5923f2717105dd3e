#include "orchestrator/orphans.h"

#include <gtest/gtest.h>

#include "orchestrator/fakes_test_support.h"

namespace vmc::orchestrator {
namespace {

model::HostInfo esx(const std::string& id) {
  model::HostInfo h;
  h.ref = model::MoRef{"HostSystem", id};
  h.name = "esx-" + id;
  return h;
}

TEST(Orphans, KilledInOrderPerHostThoseThatResistStay) {
  fakes::FakeWorld world;
  fakes::Log log;
  fakes::FakeHosts hosts(world, log);
  auto& h1 = hosts.host("esx01", "host-1");
  h1.kill_fails = {12};
  Orphans orphans;
  orphans.add(Orphan{11, "k11", "pin 11", esx("host-1")});
  orphans.add(Orphan{12, "k12", "pin 12", esx("host-1")});
  orphans.add(Orphan{21, "k21", "pin 21", esx("host-2")});
  ASSERT_EQ(2u, orphans.hosts().size());

  std::vector<std::string> done;
  auto note = [&](const Orphan& o, const Status& st) {
    done.push_back(std::to_string(o.pid) + (st ? " stopped" : " kept"));
  };
  orphans.kill(model::MoRef{"HostSystem", "host-1"}, h1, note);
  EXPECT_EQ((std::vector<std::string>{"11 stopped", "12 kept"}), done);
  EXPECT_EQ((fakes::Log{"esx01 kill pid 11", "esx01 kill pid 12"}), log);

  h1.kill_fails.clear();
  done.clear();
  orphans.kill(model::MoRef{"HostSystem", "host-1"}, h1, note);
  EXPECT_EQ((std::vector<std::string>{"12 stopped"}), done);
  ASSERT_EQ(1u, orphans.hosts().size());
  EXPECT_EQ("host-2", orphans.hosts()[0].ref.value);

  auto left = orphans.take_all();
  ASSERT_EQ(1u, left.size());
  EXPECT_EQ(21, left[0].pid);
  EXPECT_TRUE(orphans.empty());
}

}  // namespace
}  // namespace vmc::orchestrator
