// What can be checked without an SSH server: failures to connect are errors with the
// right code, quickly. The full adapter (host keys, auth, channels, PID framing,
// reconnect) was exercised by hand against tests/lab (see README.md in this folder).
#include "host/ssh_connection.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

namespace vmc::host {
namespace {

// A listening socket on 127.0.0.1 with a kernel-chosen port.
struct Listener {
  int fd = -1;
  int port = 0;
  Listener() {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
    EXPECT_EQ(::listen(fd, 4), 0);
  }
  ~Listener() {
    if (fd >= 0) ::close(fd);
  }
};

SshOptions local(int port) {
  SshOptions o;
  o.host = "127.0.0.1";
  o.port = port;
  o.user = "root";
  o.ssh_config = "none";
  o.known_hosts = "/nonexistent/known_hosts";
  o.connect_timeout = std::chrono::seconds(5);
  return o;
}

TEST(SshConnection, RefusedPort) {
  int port;
  {
    Listener l;  // take a free port, then close it so nothing listens there
    port = l.port;
  }
  auto c = SshConnection::connect(local(port));
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, "ssh.connect");
  EXPECT_NE(c.error().message.find("127.0.0.1"), std::string::npos);
}

TEST(SshConnection, NotAnSshServer) {
  Listener l;
  std::thread server([&] {
    int c = ::accept(l.fd, nullptr, nullptr);
    if (c < 0) return;
    const char banner[] = "HTTP/1.0 400 Bad Request\r\n\r\n";
    (void)::write(c, banner, sizeof banner - 1);
    ::close(c);
  });
  auto c = SshConnection::connect(local(l.port));
  server.join();
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, "ssh.connect");
}

}  // namespace
}  // namespace vmc::host
