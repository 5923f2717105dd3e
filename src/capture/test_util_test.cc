// Test-only helper implementations (a *_test.cc so they are linked only into the tests).
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "capture/pcap_file_reader.h"
#include "capture/test_util.h"

namespace vmc::capture::testing {

Frame make_frame(int64_t ts_ns, uint32_t tag, uint32_t len) {
  Frame f;
  f.ts_ns = ts_ns;
  f.orig_len = len;
  f.data.assign(len, 0);
  // Ethernet header (dst, src, type 0x88b5 "local experimental") then the tag.
  const uint8_t hdr[14] = {0x00, 0x50, 0x56, 0x01, 0x02, 0x03, 0x00, 0x50,
                           0x56, 0x04, 0x05, 0x06, 0x88, 0xb5};
  for (size_t i = 0; i < 14 && i < len; ++i) f.data[i] = hdr[i];
  for (size_t i = 0; i < 4 && 14 + i < len; ++i) f.data[14 + i] = static_cast<uint8_t>(tag >> (8 * i));
  return f;
}

uint32_t tag_of(const FrameView& f) {
  uint32_t t = 0;
  for (size_t i = 0; i < 4 && 14 + i < f.data.size(); ++i) t |= uint32_t{f.data[14 + i]} << (8 * i);
  return t;
}

std::vector<uint8_t> pcap_bytes(const std::vector<Frame>& frames, bool big_endian, bool nanos) {
  PcapHeader h;
  h.nanos = nanos;
  h.snaplen = 262144;
  std::vector<uint8_t> out(kPcapHeaderSize);
  encode_pcap_header(h, std::span<uint8_t, kPcapHeaderSize>(out.data(), kPcapHeaderSize));
  auto swap_words = [&](size_t at, size_t words) {
    for (size_t w = 0; w < words; ++w)
      std::reverse(out.begin() + static_cast<std::ptrdiff_t>(at + 4 * w),
                   out.begin() + static_cast<std::ptrdiff_t>(at + 4 * w + 4));
  };
  if (big_endian) {
    swap_words(0, 1);
    std::swap(out[4], out[5]);
    std::swap(out[6], out[7]);
    swap_words(8, 4);
  }
  for (const auto& f : frames) {
    const size_t at = out.size();
    out.resize(at + kPcapRecordHeaderSize);
    PcapRecordHeader r{f.ts_ns, static_cast<uint32_t>(f.data.size()), f.orig_len};
    encode_pcap_record(h, r, std::span<uint8_t, kPcapRecordHeaderSize>(out.data() + at,
                                                                        kPcapRecordHeaderSize));
    if (big_endian) swap_words(at, 4);
    out.insert(out.end(), f.data.begin(), f.data.end());
  }
  return out;
}

TempDir::TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "vmc-capture-test-XXXXXX").string();
  if (!mkdtemp(tmpl.data())) ADD_FAILURE() << "mkdtemp failed";
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

void write_file(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream f(path, std::ios::binary);
  f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

std::vector<uint8_t> read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(f), {});
}

std::vector<Frame> read_frames(const std::string& path) {
  std::vector<Frame> out;
  auto r = PcapFileReader::open(path);
  if (!r) {
    ADD_FAILURE() << r.error().message;
    return out;
  }
  FrameView v;
  for (;;) {
    auto n = (*r)->next(v);
    if (!n) {
      ADD_FAILURE() << n.error().message;
      break;
    }
    if (!*n) break;
    Frame f;
    f.assign(v);
    out.push_back(std::move(f));
  }
  return out;
}

std::string run(const std::string& command, std::string* err) {
  TempDir d;
  std::string errfile = d.file("stderr");
  std::string full = command + " 2>" + errfile;
  FILE* p = popen(full.c_str(), "r");
  std::string out;
  if (!p) return out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  pclose(p);
  if (err) {
    auto e = read_file(errfile);
    err->assign(e.begin(), e.end());
  }
  return out;
}

}  // namespace vmc::capture::testing
