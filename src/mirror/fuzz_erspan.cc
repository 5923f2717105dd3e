// libFuzzer target: decapsulation of mirrored packets fed arbitrary bytes, either as an
// IPv4 packet or inside a link-layer frame (the first byte picks which: 0 IPv4, 1
// Ethernet, 2 Linux cooked, 3 Linux cooked v2). Must never crash, read out of bounds
// or return a frame outside the input.
#include <cstddef>
#include <cstdint>
#include <span>

#include "mirror/decap.h"
#include "mirror/link.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static constexpr int kLinks[] = {vmc::mirror::kLinkIpv4, vmc::mirror::kLinkEthernet,
                                   vmc::mirror::kLinkLinuxCooked, vmc::mirror::kLinkLinuxCooked2};
  const int link = kLinks[data[0] % 4];
  const std::span<const uint8_t> in(data + 1, size - 1);
  auto ip = vmc::mirror::ipv4_in_link_frame(link, in);
  if (!ip) {
    if (ip.error().message.empty()) __builtin_trap();
    return 0;
  }
  if (ip->data() < in.data() || ip->data() + ip->size() > in.data() + in.size()) __builtin_trap();
  auto d = vmc::mirror::decapsulate(*ip);
  if (!d) {
    if (d.error().code.empty() || d.error().message.empty()) __builtin_trap();
    return 0;
  }
  const auto& f = d->frame;
  if (f.empty() || f.data() < ip->data() || f.data() + f.size() > ip->data() + ip->size()) __builtin_trap();
  if (d->session_id > 0x3FF || d->cos > 7 || d->hardware_id > 63) __builtin_trap();
  if (d->timestamp) (void)vmc::mirror::resolve_timestamp_ns(*d->timestamp, 1'700'000'000'000'000'000);
  return 0;
}
