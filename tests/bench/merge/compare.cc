// vmc_bench_merge_compare A B: reads two capture files (pcap or pcapng, with libpcap)
// and checks they hold the same frames in the same order: timestamp (ns), original
// length, captured length and bytes. Prints the frame count and a digest of the
// sequence; exits 1 at the first difference, naming the frame.
#include <cinttypes>
#include <cstdio>
#include <cstring>

#include "capture/dedup.h"
#include "capture/pcap_file_reader.h"

using vmc::capture::FrameView;
using vmc::capture::PcapFileReader;

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s A B\n", argv[0]);
    return 2;
  }
  auto a = PcapFileReader::open(argv[1]);
  auto b = PcapFileReader::open(argv[2]);
  if (!a || !b) {
    std::fprintf(stderr, "%s\n", (!a ? a.error() : b.error()).message.c_str());
    return 2;
  }
  uint64_t n = 0;
  uint64_t digest = 0;
  for (;;) {
    FrameView fa, fb;
    auto ra = (*a)->next(fa);
    auto rb = (*b)->next(fb);
    if (!ra || !rb) {
      std::fprintf(stderr, "%s\n", (!ra ? ra.error() : rb.error()).message.c_str());
      return 1;
    }
    if (!*ra || !*rb) {
      if (*ra != *rb) {
        std::fprintf(stderr, "DIFFERENT: %s ends after %" PRIu64 " frames, the other goes on\n",
                     *ra ? argv[2] : argv[1], n);
        return 1;
      }
      break;
    }
    ++n;
    if (fa.ts_ns != fb.ts_ns || fa.orig_len != fb.orig_len || fa.data.size() != fb.data.size() ||
        std::memcmp(fa.data.data(), fb.data.data(), fa.data.size()) != 0) {
      std::fprintf(stderr,
                   "DIFFERENT at frame %" PRIu64 ": ts %" PRId64 " vs %" PRId64
                   ", len %u vs %u, caplen %zu vs %zu\n",
                   n, fa.ts_ns, fb.ts_ns, fa.orig_len, fb.orig_len, fa.data.size(),
                   fb.data.size());
      return 1;
    }
    digest = (digest ^ vmc::capture::Deduplicator::hash(fa) ^ static_cast<uint64_t>(fa.ts_ns)) *
             0x100000001b3ull;
  }
  std::printf("SAME: %" PRIu64 " frames, digest %016" PRIx64 "\n", n, digest);
  return 0;
}
