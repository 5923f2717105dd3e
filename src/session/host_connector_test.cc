#include "session/host_connector.h"

#include <thread>
#include <condition_variable>
#include <mutex>

#include <gtest/gtest.h>

#include "host/fake_host_connection.h"

namespace vmc::session {
namespace {

using namespace std::chrono_literals;

// An opener whose connections take as long as the test says: each attempt waits until
// released, then succeeds or fails.
class SlowOpener {
 public:
  SshHostConnector::Opener opener() {
    return [this](const model::HostInfo& h) -> Result<std::unique_ptr<SshHostControl>> {
      std::unique_lock lk(mu_);
      ++attempts_;
      cv_.notify_all();
      cv_.wait(lk, [&] { return released_ > 0; });
      --released_;
      if (!fail_code_.empty()) return Error(fail_code_, h.name + ": " + fail_code_);
      return std::make_unique<SshHostControl>(h, std::make_unique<host::FakeHostConnection>(h.name));
    };
  }
  void release(int n = 1) {
    std::lock_guard lk(mu_);
    released_ += n;
    cv_.notify_all();
  }
  int attempts() {
    std::lock_guard lk(mu_);
    return attempts_;
  }
  void wait_attempts(int n) {
    std::unique_lock lk(mu_);
    cv_.wait(lk, [&] { return attempts_ >= n; });
  }
  /// The attempts released from now on fail with `code` (empty: succeed).
  void set_fail(std::string code) {
    std::lock_guard lk(mu_);
    fail_code_ = std::move(code);
  }

 private:
  std::string fail_code_;
  std::mutex mu_;
  std::condition_variable cv_;
  int attempts_ = 0;
  int released_ = 0;
};

model::HostInfo esx(const std::string& name) {
  model::HostInfo h;
  h.name = name;
  h.ref.value = "host-" + name;
  return h;
}

// connect() until it gives the port (its attempt runs on a thread of its own).
Result<orchestrator::HostControl*> connected(SshHostConnector& hosts, const std::string& name) {
  Result<orchestrator::HostControl*> r = hosts.connect(esx(name));
  for (int i = 0; i < 2000 && !r.ok() && r.error().code == "ssh.connecting"; ++i) {
    std::this_thread::sleep_for(1ms);
    r = hosts.connect(esx(name));
  }
  return r;
}

// A host that does not answer holds connect() only for the first wait; later calls
// return at once while the attempt runs; once it connects, connect() gives the port.
TEST(SshHostConnector, ASilentHostHoldsConnectOnlyForTheFirstWait) {
  SlowOpener slow;
  SshHostConnector hosts(slow.opener(), 20ms);
  auto r = hosts.connect(esx("esx02"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ("ssh.connecting", r.error().code);
  EXPECT_EQ("connecting over SSH to esx02 (not answering yet)", r.error().message);
  EXPECT_EQ("ssh.connecting", hosts.connect(esx("esx02")).error().code);
  EXPECT_EQ(1, slow.attempts()) << "a second attempt while the first runs";
  // Another host is not held up by it.
  slow.release(2);
  auto other = connected(hosts, "esx01");
  ASSERT_TRUE(other.ok()) << other.error().message;
  // esx02's attempt ended (released above): its port now.
  auto again = connected(hosts, "esx02");
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_NE(other.value(), again.value());
  EXPECT_EQ(again.value(), hosts.connect(esx("esx02")).value());
  EXPECT_EQ(2, slow.attempts());
}

// A failed attempt is reported once (a refused host key must reach the session); the
// next connect() tries again.
TEST(SshHostConnector, AFailureIsReportedOnceThenTriedAgain) {
  SlowOpener slow;
  slow.set_fail("ssh.hostkey-changed");
  slow.release(1);
  SshHostConnector hosts(slow.opener(), 5s);
  auto r = hosts.connect(esx("esx01"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ("ssh.hostkey-changed", r.error().code);
  slow.set_fail("");
  slow.release(1);
  auto ok = hosts.connect(esx("esx01"));
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ(2, slow.attempts());
}

// Without a bound (cleanup, dry run) connect() waits for the connection; a failed
// prepare() is not reported: connect() makes its own attempt.
TEST(SshHostConnector, UnboundedConnectWaitsAndRetriesAFailedPrepare) {
  SlowOpener slow;
  SshHostConnector hosts(slow.opener(), std::nullopt);
  slow.set_fail("ssh.connect");
  hosts.prepare(esx("esx01"));
  slow.wait_attempts(1);
  std::thread releaser([&] {
    slow.release(1);  // the prepare attempt fails
    slow.wait_attempts(2);
    slow.set_fail("");
    slow.release(1);  // connect()'s own succeeds
  });
  auto r = hosts.connect(esx("esx01"));
  releaser.join();
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(2, slow.attempts());
  hosts.prepare(esx("esx01"));  // connected: nothing to do
  EXPECT_EQ(2, slow.attempts());
}

}  // namespace
}  // namespace vmc::session
