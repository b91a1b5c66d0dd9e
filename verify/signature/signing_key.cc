#include "verify/signature/signing_key.h"

#include <openssl/bio.h>
#include <openssl/buffer.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <memory>

#include "verify/common/digest.h"
#include "verify/common/openssl_ptr.h"

namespace moat::verify {

namespace {

std::string OpenSslError() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    out += (out.empty() ? "" : "; ") + std::string(buf);
  }
  return out.empty() ? "unknown OpenSSL error" : out;
}

// The bytes a memory BIO holds.
std::string BioBytes(BIO* bio) {
  BUF_MEM* mem = nullptr;
  BIO_get_mem_ptr(bio, &mem);
  return mem != nullptr ? std::string(mem->data, mem->length) : std::string();
}

// ECDSA P-256 or Ed25519; anything else is refused with a message.
Result<KeyAlgorithm> SigningAlgorithm(EVP_PKEY* key, const std::string& display) {
  switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_ED25519:
      return KeyAlgorithm::kEd25519;
    case EVP_PKEY_EC: {
      char group[64] = {0};
      size_t len = 0;
      if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                         &len) == 1 &&
          std::string_view(group, len) == "prime256v1") {
        return KeyAlgorithm::kEcdsaP256;
      }
      ERR_clear_error();
      return Error{display + ": EC keys must be on P-256"};
    }
    default: {
      const char* type = EVP_PKEY_get0_type_name(key);
      return Error{display + ": a " + std::string(type != nullptr ? type : "?") +
                   " key; verdicts are signed with ECDSA P-256 or Ed25519"};
    }
  }
}

}  // namespace

Result<SigningKey> SigningKey::Generate(KeyAlgorithm alg) {
  ERR_clear_error();
  EVP_PKEY* raw = nullptr;
  if (alg == KeyAlgorithm::kEcdsaP256) {
    raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  } else if (alg == KeyAlgorithm::kEd25519) {
    raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  } else {
    return Error{std::string("cannot generate ") + KeyAlgorithmName(alg) +
                 " keys (ECDSA P-256 or Ed25519)"};
  }
  if (raw == nullptr) return Error{"key generation failed: " + OpenSslError()};
  return SigningKey(EvpPkeyPtr(raw), alg);
}

Result<SigningKey> SigningKey::FromPem(std::string_view pem, const std::string& display) {
  if (pem.size() > (1u << 20)) return Error{display + ": private key file too large"};
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return Error{display + ": out of memory"};
  ERR_clear_error();
  // An empty passphrase callback result: encrypted keys fail instead of prompting.
  auto no_passphrase = [](char*, int, int, void*) -> int { return 0; };
  EvpPkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, nullptr));
  if (!key) {
    return Error{display + ": no unencrypted PEM private key found (" + OpenSslError() + ")"};
  }
  MOAT_ASSIGN_OR_RETURN(auto alg, SigningAlgorithm(key.get(), display));
  return SigningKey(std::move(key), alg);
}

Result<std::string> SigningKey::PrivatePem() const {
  BioPtr bio(BIO_new(BIO_s_mem()));
  ERR_clear_error();
  if (!bio ||
      PEM_write_bio_PrivateKey(bio.get(), key_.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return Error{"cannot write the private key: " + OpenSslError()};
  }
  return BioBytes(bio.get());
}

Result<std::string> SigningKey::PublicPem() const {
  BioPtr bio(BIO_new(BIO_s_mem()));
  ERR_clear_error();
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), key_.get()) != 1) {
    return Error{"cannot write the public key: " + OpenSslError()};
  }
  return BioBytes(bio.get());
}

Result<PublicKey> SigningKey::Public() const {
  MOAT_ASSIGN_OR_RETURN(auto pem, PublicPem());
  return PublicKey::FromPem(pem, "public key");
}

Result<std::string> SigningKey::Sign(std::string_view data) const {
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx) return Error{"out of memory"};
  ERR_clear_error();
  const EVP_MD* md = algorithm_ == KeyAlgorithm::kEd25519 ? nullptr : EVP_sha256();
  if (EVP_DigestSignInit(ctx.get(), nullptr, md, nullptr, key_.get()) != 1) {
    return Error{"cannot set up signing: " + OpenSslError()};
  }
  const auto* in = reinterpret_cast<const unsigned char*>(data.data());
  size_t len = 0;
  if (EVP_DigestSign(ctx.get(), nullptr, &len, in, data.size()) != 1) {
    return Error{"signing failed: " + OpenSslError()};
  }
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, in,
                     data.size()) != 1) {
    return Error{"signing failed: " + OpenSslError()};
  }
  sig.resize(len);
  return sig;
}

Result<std::string> KeyId(const PublicKey& key) {
  unsigned char* der = nullptr;
  const int len = i2d_PUBKEY(key.get(), &der);
  if (len <= 0 || der == nullptr) return Error{"cannot encode the public key"};
  std::string bytes(reinterpret_cast<const char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  std::string digest = DigestOf(bytes);
  return digest.substr(digest.find(':') + 1);
}

}  // namespace moat::verify
