// libFuzzer target: a pcap or pcapng file read through libpcap by PcapFileReader, then
// merged with itself (reorder window and de-duplication on) into the pcapng writer.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <vector>

#include "capture/byte_sink.h"
#include "capture/merge.h"
#include "capture/pcap_file_reader.h"
#include "capture/pcapng_writer.h"

namespace {

class Out : public vmc::capture::MergeOutput {
 public:
  explicit Out(vmc::capture::PcapngWriter& w) : w_(w) {}
  vmc::Status frame(size_t source, const vmc::capture::FrameView& f) override {
    return w_.write(static_cast<uint32_t>(source), f.ts_ns, f.orig_len, f.data);
  }

 private:
  vmc::capture::PcapngWriter& w_;
};

std::unique_ptr<vmc::capture::PcapFileReader> open(const uint8_t* data, size_t size) {
  // fmemopen needs a writable buffer that outlives the FILE: the reader keeps a copy.
  FILE* f = fmemopen(const_cast<uint8_t*>(data), size, "rb");
  if (!f) return nullptr;
  auto r = vmc::capture::PcapFileReader::open_stream(f, "fuzz");
  if (!r) return nullptr;
  return std::move(*r);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::vector<uint8_t> copy(data, data + size);
  auto a = open(copy.data(), copy.size());
  auto b = open(copy.data(), copy.size());
  if (!a || !b) return 0;
  vmc::capture::MemorySink sink;
  vmc::capture::PcapngWriter writer(sink, 4096);
  (void)writer.add_interface({"a", "", 1, 0});
  (void)writer.add_interface({"b", "", 1, 0});
  Out out(writer);
  vmc::capture::MergeOptions o;
  o.reorder_window_ns = 1000;
  o.reorder_max_frames = 16;
  o.dedup_window_ns = 1000;
  vmc::capture::FrameSource* sources[2] = {a.get(), b.get()};
  auto st = vmc::capture::merge(sources, o, out);
  (void)writer.flush();
  if (st && st->frames_out + st->duplicates != a->frames() + b->frames()) __builtin_trap();
  return 0;
}
