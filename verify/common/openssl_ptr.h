// Owners of OpenSSL objects, one definition each (STYLE.md 5: a unique_ptr
// with a stateless deleter). EVP_PKEY's is in sigstore.h with PublicKey.
#pragma once

#include <openssl/bio.h>
#include <openssl/evp.h>

#include <memory>

namespace moat::verify {

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;

struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;

struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
};
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree>;

}  // namespace moat::verify
