#include "verify/signature/cert.h"

#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "base/json.h"
#include "verify/common/openssl_ptr.h"

namespace moat::verify {
namespace {

struct X509StoreFree {
  void operator()(X509_STORE* s) const { X509_STORE_free(s); }
};
struct X509StoreCtxFree {
  void operator()(X509_STORE_CTX* c) const { X509_STORE_CTX_free(c); }
};
struct X509StackFree {
  void operator()(STACK_OF(X509) * s) const { sk_X509_free(s); }  // borrowed elements
};
struct GeneralNamesFree {
  void operator()(GENERAL_NAMES* g) const { GENERAL_NAMES_free(g); }
};
struct EkuFree {
  void operator()(EXTENDED_KEY_USAGE* e) const { EXTENDED_KEY_USAGE_free(e); }
};
struct OpensslFree {
  void operator()(unsigned char* p) const { OPENSSL_free(p); }
};
struct CharFree {
  void operator()(char* p) const { OPENSSL_free(p); }
};

// One PEM block from `bio`: type and DER. nullopt at the end of input.
struct PemBlock {
  std::string type;
  std::string der;
};
Result<std::optional<PemBlock>> NextBlock(BIO* bio, const std::string& what) {
  char* name = nullptr;
  char* header = nullptr;
  unsigned char* data = nullptr;
  long len = 0;
  ERR_clear_error();
  if (PEM_read_bio(bio, &name, &header, &data, &len) != 1) {
    const unsigned long e = ERR_peek_last_error();
    ERR_clear_error();
    if (ERR_GET_REASON(e) == PEM_R_NO_START_LINE) return std::optional<PemBlock>();
    return Error{what + ": invalid PEM"};
  }
  std::unique_ptr<char, CharFree> n(name), h(header);
  std::unique_ptr<unsigned char, OpensslFree> d(data);
  return std::optional<PemBlock>(
      PemBlock{name, std::string(reinterpret_cast<char*>(data), static_cast<size_t>(len))});
}

Result<X509Ptr> ParseDer(const std::string& der, const std::string& what) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (!cert || p != reinterpret_cast<const unsigned char*>(der.data()) + der.size()) {
    return Error{what + ": invalid certificate"};
  }
  return cert;
}

std::string TimeText(const ASN1_TIME* t) {
  struct tm tm {};
  if (ASN1_TIME_to_tm(t, &tm) != 1) return "?";
  char buf[32];
  if (strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) return "?";
  return buf;
}

}  // namespace

Result<std::vector<X509Ptr>> ParseCertificatesPem(std::string_view pem, const std::string& what) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio || pem.size() > (1u << 20)) return Error{what + ": too large"};
  std::vector<X509Ptr> out;
  for (;;) {
    MOAT_ASSIGN_OR_RETURN(auto block, NextBlock(bio.get(), what));
    if (!block) break;
    if (block->type != "CERTIFICATE") {
      return Error{what + ": unexpected PEM block type " + block->type};
    }
    MOAT_ASSIGN_OR_RETURN(auto cert, ParseDer(block->der, what));
    out.push_back(std::move(cert));
  }
  if (out.empty()) return Error{what + ": no certificate found"};
  return out;
}

Result<X509Ptr> ParseLeafPem(std::string_view pem, const std::string& what) {
  MOAT_ASSIGN_OR_RETURN(auto certs, ParseCertificatesPem(pem, what));
  if (certs.size() != 1) return Error{what + ": more than one certificate"};
  return std::move(certs[0]);
}

Result<std::string> PemBlockDer(std::string_view pem, const std::string& what) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio || pem.size() > (1u << 20)) return Error{what + ": too large"};
  MOAT_ASSIGN_OR_RETURN(auto block, NextBlock(bio.get(), what));
  if (!block) return Error{what + ": not in PEM format"};
  if (BIO_pending(bio.get()) != 0) return Error{what + ": trailing data after the PEM block"};
  return block->der;
}

Status VerifyChain(X509* leaf, const std::vector<X509*>& roots,
                   const std::vector<X509*>& intermediates, std::optional<time_t> at) {
  std::unique_ptr<X509_STORE, X509StoreFree> store(X509_STORE_new());
  std::unique_ptr<X509_STORE_CTX, X509StoreCtxFree> ctx(X509_STORE_CTX_new());
  std::unique_ptr<STACK_OF(X509), X509StackFree> untrusted(sk_X509_new_null());
  if (!store || !ctx || !untrusted) return Error{"certificate chain: out of memory"};
  for (X509* r : roots) {
    if (X509_STORE_add_cert(store.get(), r) != 1) ERR_clear_error();  // duplicates
  }
  for (X509* i : intermediates) sk_X509_push(untrusted.get(), i);
  if (X509_STORE_CTX_init(ctx.get(), store.get(), leaf, untrusted.get()) != 1) {
    return Error{"certificate chain: cannot initialise verification"};
  }
  // As Go's CertPool: any configured certificate is a trust anchor.
  X509_STORE_CTX_set_flags(ctx.get(), X509_V_FLAG_PARTIAL_CHAIN);
  if (at) X509_STORE_CTX_set_time(ctx.get(), 0, *at);
  const int ok = X509_verify_cert(ctx.get());
  ERR_clear_error();
  if (ok != 1) {
    return Error{std::string("certificate chain: ") +
                 X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx.get()))};
  }
  // Go's VerifyOptions{KeyUsages: CodeSigning} checks every certificate of
  // the chain that restricts its usage, the leaf, intermediates and root alike.
  STACK_OF(X509)* chain = X509_STORE_CTX_get0_chain(ctx.get());
  for (int i = 0; chain != nullptr && i < sk_X509_num(chain); ++i) {
    Status eku = CheckCodeSigning(sk_X509_value(chain, i));
    if (!eku.ok()) {
      return eku.error().Wrap(i == 0 ? std::string("certificate")
                                     : "certificate chain: certificate " + std::to_string(i));
    }
  }
  return Status::Ok();
}

Status CheckCodeSigning(X509* leaf) {
  int crit = 0;
  std::unique_ptr<EXTENDED_KEY_USAGE, EkuFree> eku(
      static_cast<EXTENDED_KEY_USAGE*>(X509_get_ext_d2i(leaf, NID_ext_key_usage, &crit, nullptr)));
  if (!eku) {
    if (crit == -1) return Status::Ok();  // absent: Go accepts any usage
    return Error{"extended key usage: invalid or duplicated"};
  }
  for (int i = 0; i < sk_ASN1_OBJECT_num(eku.get()); ++i) {
    const int nid = OBJ_obj2nid(sk_ASN1_OBJECT_value(eku.get(), i));
    if (nid == NID_code_sign || nid == NID_anyExtendedKeyUsage) return Status::Ok();
  }
  return Error{"extended key usage: no codeSigning"};
}

std::vector<std::string> SanEmails(X509* leaf) {
  std::vector<std::string> out;
  std::unique_ptr<GENERAL_NAMES, GeneralNamesFree> names(
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(leaf, NID_subject_alt_name, nullptr, nullptr)));
  if (!names) return out;
  for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* n = sk_GENERAL_NAME_value(names.get(), i);
    if (n->type != GEN_EMAIL) continue;
    const ASN1_IA5STRING* s = n->d.rfc822Name;
    out.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                     static_cast<size_t>(ASN1_STRING_length(s)));
  }
  return out;
}

bool MatchesHostname(X509* leaf, const std::string& host) {
  if (host.empty() || host.find('\0') != std::string::npos) return false;
  if (X509_check_ip_asc(leaf, host.c_str(), 0) == 1) return true;
  ERR_clear_error();
  const unsigned flags = X509_CHECK_FLAG_NEVER_CHECK_SUBJECT | X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS;
  const int r = X509_check_host(leaf, host.data(), host.size(), flags, nullptr);
  ERR_clear_error();
  return r == 1;
}

Result<PublicKey> LeafPublicKey(X509* leaf, const std::string& what) {
  EVP_PKEY* key = X509_get0_pubkey(leaf);
  if (key == nullptr || EVP_PKEY_up_ref(key) != 1) {
    ERR_clear_error();
    return Error{what + ": unusable public key"};
  }
  return PublicKey::FromKey(EvpPkeyPtr(key), what);
}

bool ValidAt(X509* cert, time_t t) {
  time_t at = t;
  return X509_cmp_time(X509_get0_notBefore(cert), &at) <= 0 &&
         X509_cmp_time(X509_get0_notAfter(cert), &at) >= 0;
}

std::string ValidityText(X509* cert) {
  return "notBefore " + TimeText(X509_get0_notBefore(cert)) + ", notAfter " +
         TimeText(X509_get0_notAfter(cert));
}

Result<std::vector<X509Ptr>> ChainIntermediates(const std::string* chain_pem,
                                                const std::string& what) {
  std::vector<X509Ptr> out;
  if (chain_pem == nullptr || chain_pem->empty()) return out;
  if (chain_pem->size() > (1u << 20)) return Error{what + ": too large"};
  BioPtr bio(BIO_new_mem_buf(chain_pem->data(), static_cast<int>(chain_pem->size())));
  if (!bio) return Error{what + ": out of memory"};
  // Every block is checked to be a CERTIFICATE, but the last one (the root,
  // never trusted from a signature) is not decoded: decoding is the costly part.
  std::optional<PemBlock> pending;
  for (;;) {
    MOAT_ASSIGN_OR_RETURN(auto block, NextBlock(bio.get(), what));
    if (!block) break;
    if (block->type != "CERTIFICATE") {
      return Error{what + ": unexpected PEM block type " + block->type};
    }
    if (pending) {
      MOAT_ASSIGN_OR_RETURN(auto cert, ParseDer(pending->der, what));
      out.push_back(std::move(cert));
    }
    pending = std::move(block);
  }
  if (!pending) return Error{what + ": no certificate found"};
  return out;
}

std::vector<X509*> RawCerts(const std::vector<X509Ptr>& certs) {
  std::vector<X509*> out;
  for (const auto& c : certs) out.push_back(c.get());
  return out;
}

std::string QuotedList(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ", ") + json::Quote(s);
  return "[" + out + "]";
}

}  // namespace moat::verify
