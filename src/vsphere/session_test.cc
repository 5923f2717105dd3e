#include "vsphere/session.h"

#include <gtest/gtest.h>

#include "vsphere/test_cassette.h"
#include "vsphere/test_fake_wire.h"

namespace vmc::vsphere {
namespace {

using testing::FakeWire;
using testing::recorded;

class RecordingSleeper : public Sleeper {
 public:
  void sleep(std::chrono::milliseconds d) override { slept.push_back(d.count()); }
  std::vector<long long> slept;
};

ConnectOptions options() { return {"https://vcsa/sdk", "my_user", "my_password", "", false, ""}; }

// The three replies of a connect, as vCenter 8.0.3 sent them.
void queue_connect(FakeWire& w) {
  w.reply("GET /sdk/vimServiceVersions.xml", testing::as_http(recorded("basic_container_view.yaml", 0)));
  w.reply("RetrieveServiceContent", testing::as_http(recorded("basic_connection.yaml", 0)));
  w.reply("Login", testing::as_http(recorded("basic_connection.yaml", 1)));
}

const char* kTime = R"(<CurrentTimeResponse xmlns="urn:vim25"><returnval>2026-11-26T08:00:00Z</returnval></CurrentTimeResponse>)";

TEST(Session, ConnectPicksVersionThenLogsIn) {
  FakeWire w;
  queue_connect(w);
  RecordingSleeper s;
  Session session(options(), &w, &s);
  ASSERT_TRUE(session.connect().ok());
  EXPECT_EQ(w.operations,
            (std::vector<std::string>{"GET /sdk/vimServiceVersions.xml", "RetrieveServiceContent", "Login"}));
  EXPECT_NE(w.requests[2].find("SOAPAction: \"urn:vim25/8.0.2.0\""), std::string::npos);
  EXPECT_EQ(session.service().full_name, "VMware vCenter Server 8.0.3 build-69507950");
  EXPECT_EQ(session.session().user_name, "my_user");
  EXPECT_EQ(session.generation(), 1u);
  EXPECT_TRUE(s.slept.empty());
}

TEST(Session, WrongPasswordKeepsTheServersReason) {
  FakeWire w;
  w.reply("GET /sdk/vimServiceVersions.xml", testing::as_http(recorded("basic_container_view.yaml", 0)));
  w.reply("RetrieveServiceContent", testing::as_http(recorded("basic_connection_bad_password.yaml", 0)));
  w.reply("Login", testing::as_http(recorded("basic_connection_bad_password.yaml", 1)));
  Session session(options(), &w);
  auto st = session.connect();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, "InvalidLogin");
  EXPECT_NE(st.error().message.find("incorrect user name or password"), std::string::npos);
  EXPECT_NE(st.error().message.find("my_user"), std::string::npos);
  EXPECT_EQ(st.error().message.find("my_password"), std::string::npos);
}

TEST(Session, ReloginOnceWhenTheSessionExpired) {
  FakeWire w;
  queue_connect(w);
  RecordingSleeper s;
  Session session(options(), &w, &s);
  ASSERT_TRUE(session.connect().ok());
  w.fault("CurrentTime", "NotAuthenticated", "The session is not authenticated.");
  w.reply("Login", testing::as_http(recorded("basic_connection.yaml", 1)));
  w.reply_body("CurrentTime", kTime);
  auto t = session.run([](VimClient& v) { return v.current_time(); });
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(*t, "2026-11-26T08:00:00Z");
  EXPECT_EQ(std::vector<std::string>(w.operations.begin() + 3, w.operations.end()),
            (std::vector<std::string>{"CurrentTime", "Login", "CurrentTime"}));
  EXPECT_EQ(session.generation(), 2u);
  EXPECT_TRUE(s.slept.empty());

  // A second NotAuthenticated right after a fresh login is not retried forever.
  w.fault("CurrentTime", "NotAuthenticated", "still not");
  w.reply("Login", testing::as_http(recorded("basic_connection.yaml", 1)));
  w.fault("CurrentTime", "NotAuthenticated", "still not");
  auto again = session.run([](VimClient& v) { return v.current_time(); });
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, "NotAuthenticated");
}

TEST(Session, ReconnectsWithBackoffAfterConnectionLoss) {
  FakeWire w;
  queue_connect(w);
  RecordingSleeper s;
  Session session(options(), &w, &s);
  ASSERT_TRUE(session.connect().ok());
  // CurrentTime fails at the transport; the first reconnect fails at the versions GET
  // (vCenter still starting), the second succeeds and the call is repeated.
  w.fail("CurrentTime");
  w.reply("GET /sdk/vimServiceVersions.xml",
          "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n");
  queue_connect(w);
  w.reply_body("CurrentTime", kTime);
  auto t = session.run([](VimClient& v) { return v.current_time(); });
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(s.slept, (std::vector<long long>{1000, 2000}));
  EXPECT_EQ(session.generation(), 2u);
}

TEST(Session, GivesUpAfterMaxReconnects) {
  FakeWire w;
  queue_connect(w);
  RecordingSleeper s;
  Session session(options(), &w, &s, 3);
  ASSERT_TRUE(session.connect().ok());
  auto t = session.run([](VimClient& v) { return v.current_time(); });
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().code, "vsphere.connect");
  EXPECT_NE(t.error().message.find("after 3 attempts"), std::string::npos);
  EXPECT_EQ(s.slept, (std::vector<long long>{1000, 2000, 4000}));
}

}  // namespace
}  // namespace vmc::vsphere
