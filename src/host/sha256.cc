#include "host/sha256.h"

#include <openssl/err.h>
#include <openssl/evp.h>

#include <cassert>
#include <stdexcept>

namespace vmc::host {

namespace {

[[noreturn]] void fail(const char* what) {
  char detail[256] = "no detail";
  if (unsigned long e = ERR_get_error(); e != 0) ERR_error_string_n(e, detail, sizeof detail);
  throw std::runtime_error(std::string("SHA-256 from OpenSSL: ") + what + " failed (" + detail +
                           "); check the OpenSSL installation (libcrypto)");
}

}  // namespace

void Sha256::FreeCtx::operator()(evp_md_ctx_st* c) const { EVP_MD_CTX_free(c); }

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
  if (!ctx_) fail("EVP_MD_CTX_new");
  if (EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr) != 1) fail("EVP_DigestInit_ex");
}

void Sha256::update(std::string_view data) {
  assert(digest_.empty() && "Sha256::update after hex_digest");
  if (data.empty()) return;
  if (EVP_DigestUpdate(ctx_.get(), data.data(), data.size()) != 1) fail("EVP_DigestUpdate");
}

std::string Sha256::hex_digest() {
  if (!digest_.empty()) return digest_;
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx_.get(), md, &len) != 1) fail("EVP_DigestFinal_ex");
  static const char* kHex = "0123456789abcdef";
  for (unsigned int i = 0; i < len; ++i) {
    digest_ += kHex[md[i] >> 4];
    digest_ += kHex[md[i] & 15];
  }
  return digest_;
}

}  // namespace vmc::host
