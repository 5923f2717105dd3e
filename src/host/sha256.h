// SHA-256 (FIPS 180-4), incremental, to verify files fetched from a host against the
// host's `sha256sum` without another library dependency in host/.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace vmc::host {

class Sha256 {
 public:
  Sha256();
  void update(std::string_view data);
  /// Lower-case hex digest; the object must not be updated afterwards.
  std::string hex_digest();

 private:
  void block(const uint8_t* p);
  std::array<uint32_t, 8> h_;
  uint8_t buf_[64];
  size_t buf_len_ = 0;
  uint64_t total_ = 0;
};

}  // namespace vmc::host
