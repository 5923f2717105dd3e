#include "orchestrator/host_access.h"

#include <gtest/gtest.h>

#include "orchestrator/fakes_test_support.h"

namespace vmc::orchestrator {
namespace {

using namespace std::chrono_literals;

class HostAccessTest : public ::testing::Test {
 protected:
  HostAccessTest() {
    esx01.ref = model::MoRef{"HostSystem", "host-1"};
    esx01.name = "esx01";
  }
  size_t said(const std::string& part) const {
    size_t n = 0;
    for (const auto& l : sink.lines) n += l.find(part) != std::string::npos;
    return n;
  }

  fakes::FakeWorld world;
  fakes::Log log;
  fakes::FakeClock clock;
  fakes::FakeHosts connector{world, log};
  fakes::FakeSink sink;
  fakes::FakeJournal journal;
  SessionRecord record{sink, journal, clock};
  HostAccess access{connector, record, 500ms, 5s};
  model::HostInfo esx01;
};

TEST_F(HostAccessTest, AFailureBacksOffAndAnAnswerEndsIt) {
  EXPECT_TRUE(access.ready(esx01));
  EXPECT_EQ("; retrying in 500 ms", access.failed(esx01));
  EXPECT_FALSE(access.ready(esx01));
  clock.t += 500ms;
  EXPECT_TRUE(access.ready(esx01));
  EXPECT_EQ("; retrying in 1000 ms", access.failed(esx01));
  access.answered(esx01);
  EXPECT_TRUE(access.ready(esx01));
  EXPECT_EQ(0u, said("answers again"));
}

TEST_F(HostAccessTest, AHostBeingConnectedIsSaidOnceAndNotBackedOff) {
  connector.fail_connect["esx01"] = 3;
  connector.connect_fail_code = "ssh.connecting";
  connector.connect_fail_kind = ErrorKind::Pending;
  for (int i = 0; i < 3; ++i) EXPECT_EQ(nullptr, access.connect(esx01));
  EXPECT_TRUE(access.ready(esx01));
  EXPECT_EQ(1u, said("comment esx01: cannot reach esx01; capturing as soon as it answers"));
  EXPECT_NE(nullptr, access.connect(esx01));
  access.answered(esx01);
  EXPECT_EQ(1u, said("comment esx01 answers again"));
}

TEST_F(HostAccessTest, ARefusalIsAnErrorOfTheSessionOnceOtherErrorsAreNotTheHosts) {
  EXPECT_FALSE(access.unavailable(esx01, Error("pktcap.start", "pktcap-uw refused the filter")));
  EXPECT_TRUE(record.errors().empty());
  const Error refused("ssh.auth", "esx01: login refused", ErrorKind::Refused);
  EXPECT_TRUE(access.unavailable(esx01, refused));
  clock.t += 1s;
  EXPECT_TRUE(access.unavailable(esx01, refused));
  EXPECT_EQ((std::vector<std::string>{"esx01: login refused"}), record.errors());
  EXPECT_EQ(2u, said("esx01: login refused; retrying in"));
  EXPECT_FALSE(access.ready(esx01));
}

}  // namespace
}  // namespace vmc::orchestrator
