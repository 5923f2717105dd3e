// libFuzzer target: the incremental pcap stream reader fed arbitrary bytes in
// arbitrary chunks (the first byte picks the chunk size), then a session output
// merging what it yields. Must never crash, hang or read out of bounds.
#include <cstddef>
#include <cstdint>
#include <span>

#include "capture/byte_sink.h"
#include "capture/pcap_stream_reader.h"
#include "capture/pcapng_writer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const size_t chunk = 1 + data[0] % 64;
  std::span<const uint8_t> in(data + 1, size - 1);
  vmc::capture::PcapStreamReader reader("fuzz");
  vmc::capture::MemorySink sink;
  vmc::capture::PcapngWriter writer(sink, 4096);
  (void)writer.begin_section({});
  (void)writer.add_interface({"fuzz", "", 1, 0});
  bool stop = false;
  for (size_t at = 0; at < in.size() && !stop; at += chunk) {
    reader.push(in.subspan(at, std::min(chunk, in.size() - at)));
    for (;;) {
      auto f = reader.next();
      if (!f) {
        stop = true;
        break;
      }
      if (!*f) break;
      const auto& v = **f;
      if (v.data.size() > vmc::capture::kMaxCapLen) __builtin_trap();
      (void)writer.write(0, v.ts_ns, v.orig_len, v.data, vmc::capture::kFlagInbound);
    }
  }
  (void)reader.finish();
  (void)writer.flush();
  if (sink.data.size() % 4 != 0) __builtin_trap();
  return 0;
}
