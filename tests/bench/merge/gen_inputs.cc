// Writes N deterministic pcap files of mixed frame sizes for the merge benchmark:
//   vmc_bench_merge_gen DIR FILES FRAMES_PER_FILE
// File k is DIR/in<k>.pcap. Frame sizes: 60% 60 bytes, 30% 61..590, 10% 1514.
// Timestamps advance 0..15 us per frame from a common start, so files interleave and
// often share a timestamp (ties exercise the merge's ordering rule). File 2 is
// big-endian, file 3 has nanosecond timestamps: both byte orders and magics.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

struct SplitMix {
  uint64_t s;
  uint64_t next() {
    uint64_t z = (s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
};

void put32(std::vector<uint8_t>& b, uint32_t v, bool big) {
  if (big) v = __builtin_bswap32(v);
  uint8_t x[4];
  std::memcpy(x, &v, 4);
  b.insert(b.end(), x, x + 4);
}

void put16(std::vector<uint8_t>& b, uint16_t v, bool big) {
  if (big) v = __builtin_bswap16(v);
  uint8_t x[2];
  std::memcpy(x, &v, 2);
  b.insert(b.end(), x, x + 2);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s DIR FILES FRAMES_PER_FILE\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  const int files = std::atoi(argv[2]);
  const long frames = std::atol(argv[3]);
  for (int k = 0; k < files; ++k) {
    const bool big = k == 2;
    const bool nanos = k == 3;
    std::string path = dir + "/in" + std::to_string(k) + ".pcap";
    FILE* f = std::fopen(path.c_str(), "wb");
    if (!f) {
      std::perror(path.c_str());
      return 1;
    }
    std::vector<uint8_t> b;
    b.reserve(1 << 22);
    put32(b, nanos ? 0xa1b23c4d : 0xa1b2c3d4, big);
    put16(b, 2, big);
    put16(b, 4, big);
    put32(b, 0, big);
    put32(b, 0, big);
    put32(b, 262144, big);
    put32(b, 1, big);
    SplitMix rng{0x5eed0000ull + static_cast<uint64_t>(k)};
    uint64_t ts_us = 1764140000ull * 1000000ull;  // 2025-11-26
    for (long i = 0; i < frames; ++i) {
      ts_us += rng.next() % 16;
      const uint64_t r = rng.next() % 100;
      uint32_t len = r < 60 ? 60 : r < 90 ? 61 + static_cast<uint32_t>(rng.next() % 530) : 1514;
      uint32_t sec = static_cast<uint32_t>(ts_us / 1000000);
      uint32_t frac = static_cast<uint32_t>(ts_us % 1000000);
      if (nanos) frac = frac * 1000 + (i % 7 == 0 ? static_cast<uint32_t>(rng.next() % 1000) : 0);
      put32(b, sec, big);
      put32(b, frac, big);
      put32(b, len, big);
      put32(b, len + (i % 50 == 0 ? 4 : 0), big);  // a few frames as if cut short
      // Ethernet/IPv4-looking header, then pseudo-random payload.
      const size_t at = b.size();
      b.resize(at + len);
      uint8_t* p = b.data() + at;
      const uint8_t hdr[14] = {0x00, 0x50, 0x56, 0xaa, 0x00, static_cast<uint8_t>(k),
                               0x00, 0x50, 0x56, 0xbb, 0x00, static_cast<uint8_t>(k),
                               0x08, 0x00};
      std::memcpy(p, hdr, 14);
      for (uint32_t j = 14; j < len; j += 8) {
        uint64_t w = rng.next() ^ i;
        std::memcpy(p + j, &w, len - j < 8 ? len - j : 8);
      }
      if (b.size() > (1u << 22) - 2000) {
        std::fwrite(b.data(), 1, b.size(), f);
        b.clear();
      }
    }
    std::fwrite(b.data(), 1, b.size(), f);
    if (std::fclose(f) != 0) {
      std::perror(path.c_str());
      return 1;
    }
    std::printf("%s: %ld frames\n", path.c_str(), frames);
  }
  return 0;
}
