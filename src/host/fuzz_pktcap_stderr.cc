// libFuzzer: pktcap-uw stderr (split into lines as the SSH adapter does) and the PID
// framing of stdout, on arbitrary bytes.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "host/host_connection.h"
#include "host/pktcap_stderr.h"
#include "host/remote_command.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  vmc::host::PktcapStatus status;
  vmc::host::LineSplitter lines(256);
  auto feed = [&](std::string_view l) {
    if (l.size() > 256) __builtin_trap();
    (void)status.feed(l);
  };
  // Odd chunk sizes exercise lines split across reads.
  for (size_t i = 0; i < bytes.size(); i += 13) lines.feed(bytes.substr(i, 13), feed);
  lines.finish(feed);
  (void)status.state();

  vmc::host::PidLineSplitter pid;
  size_t payload = 0;
  for (size_t i = 0; i < bytes.size(); i += 5) {
    if (!pid.feed(bytes.substr(i, 5), [&](std::string_view d) { payload += d.size(); })) break;
  }
  if (payload > bytes.size()) __builtin_trap();
  if (pid.pid() && *pid.pid() <= 0) __builtin_trap();
  return 0;
}
