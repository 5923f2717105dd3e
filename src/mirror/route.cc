#include "mirror/route.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

#include "mirror/decap.h"

namespace vmc::mirror {

std::optional<uint32_t> parse_ipv4(std::string_view text) {
  uint32_t out = 0;
  const char* p = text.data();
  const char* end = p + text.size();
  for (int i = 0; i < 4; ++i) {
    if (i > 0) {
      if (p == end || *p != '.') return std::nullopt;
      ++p;
    }
    unsigned v = 256;
    auto r = std::from_chars(p, end, v);
    if (r.ec != std::errc() || v > 255 || r.ptr == p || r.ptr - p > 3) return std::nullopt;
    out = out << 8 | v;
    p = r.ptr;
  }
  if (p != end) return std::nullopt;
  return out;
}

Result<CaptureRoute> route_to(uint32_t host) {
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Error("mirror.route", fmt::format("socket: {}", std::strerror(errno)));
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(9);  // discard; connect() on UDP sends nothing
  to.sin_addr.s_addr = htonl(host);
  sockaddr_in from{};
  socklen_t len = sizeof from;
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&to), sizeof to) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&from), &len) != 0) {
    const int e = errno;
    ::close(fd);
    return Error("mirror.route", fmt::format("no route to {}: {}", format_ipv4(host), std::strerror(e)));
  }
  ::close(fd);
  CaptureRoute r;
  r.local_address = ntohl(from.sin_addr.s_addr);
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) {
    return Error("mirror.route", fmt::format("listing the interfaces: {}", std::strerror(errno)));
  }
  // The interface that has the local address; failing that (a loopback alias such as
  // 127.0.1.1 is not on lo), the one whose network holds it.
  std::string exact, network;
  for (const ifaddrs* i = list; i != nullptr; i = i->ifa_next) {
    if (i->ifa_addr == nullptr || i->ifa_addr->sa_family != AF_INET || i->ifa_netmask == nullptr) continue;
    const uint32_t a = ntohl(reinterpret_cast<const sockaddr_in*>(i->ifa_addr)->sin_addr.s_addr);
    const uint32_t m = ntohl(reinterpret_cast<const sockaddr_in*>(i->ifa_netmask)->sin_addr.s_addr);
    if (a == r.local_address && exact.empty()) exact = i->ifa_name;
    if ((a & m) == (r.local_address & m) && network.empty()) network = i->ifa_name;
  }
  ::freeifaddrs(list);
  r.interface = !exact.empty() ? exact : network;
  if (r.interface.empty()) {
    return Error("mirror.route", fmt::format("no interface has {}, the local address towards {}",
                                             format_ipv4(r.local_address), format_ipv4(host)));
  }
  return r;
}

}  // namespace vmc::mirror
