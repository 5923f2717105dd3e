// SHA-256, incremental, to verify files fetched from a host against the host's
// `sha256sum`. OpenSSL's EVP digest does the work (libcrypto is linked anyway for TLS).
#pragma once

#include <memory>
#include <string>
#include <string_view>

struct evp_md_ctx_st;  // OpenSSL's EVP_MD_CTX

namespace vmc::host {

class Sha256 {
 public:
  /// Throws std::runtime_error when OpenSSL offers no SHA-256 (a broken installation).
  Sha256();
  void update(std::string_view data);
  /// Lower-case hex digest of everything given to update(). Further calls return the
  /// same digest; the object must not be updated afterwards.
  std::string hex_digest();

 private:
  struct FreeCtx {
    void operator()(evp_md_ctx_st* c) const;
  };
  std::unique_ptr<evp_md_ctx_st, FreeCtx> ctx_;
  std::string digest_;  // set by the first hex_digest()
};

}  // namespace vmc::host
