#include "tests/unit/verify/signature/keyless_material.h"

#include <openssl/ec.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <stdexcept>

#include "verify/common/base64.h"
#include "verify/common/digest.h"
#include "verify/common/openssl_ptr.h"
#include "verify/signature/rekor.h"

namespace moat::testing {
namespace {

void Check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("test material: ") + what);
}

std::string BioText(BIO* bio) {
  char* p = nullptr;
  const long n = BIO_get_mem_data(bio, &p);
  return std::string(p, static_cast<size_t>(n));
}

void AddExt(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  Check(ext != nullptr, "extension");
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

void AddRawExt(X509* cert, const char* oid, const std::string& der) {
  ASN1_OBJECT* obj = OBJ_txt2obj(oid, 1);
  ASN1_OCTET_STRING* os = ASN1_OCTET_STRING_new();
  ASN1_OCTET_STRING_set(os, reinterpret_cast<const unsigned char*>(der.data()),
                        static_cast<int>(der.size()));
  X509_EXTENSION* ext = X509_EXTENSION_create_by_OBJ(nullptr, obj, 0, os);
  Check(ext != nullptr, "raw extension");
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
  ASN1_OCTET_STRING_free(os);
  ASN1_OBJECT_free(obj);
}

std::string Utf8Der(const std::string& s) {
  ASN1_UTF8STRING* u = ASN1_UTF8STRING_new();
  ASN1_STRING_set(u, s.data(), static_cast<int>(s.size()));
  unsigned char* der = nullptr;
  const int n = i2d_ASN1_UTF8STRING(u, &der);
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(n));
  OPENSSL_free(der);
  ASN1_UTF8STRING_free(u);
  return out;
}

}  // namespace

KeyPair NewP256() {
  KeyPair kp;
  kp.key.reset(EVP_EC_gen("P-256"));
  Check(kp.key != nullptr, "EC key");
  verify::BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PUBKEY(bio.get(), kp.key.get());
  kp.public_pem = BioText(bio.get());
  return kp;
}

verify::X509Ptr MakeCert(const CertSpec& spec, EVP_PKEY* subject, X509* issuer_cert,
                         EVP_PKEY* issuer_key) {
  static long serial = 1;
  verify::X509Ptr cert(X509_new());
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), ++serial);
  ASN1_TIME_set(X509_getm_notBefore(cert.get()), spec.not_before);
  ASN1_TIME_set(X509_getm_notAfter(cert.get()), spec.not_after);
  X509_set_pubkey(cert.get(), subject);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(spec.cn.c_str()), -1, -1, 0);
  X509* issuer = issuer_cert != nullptr ? issuer_cert : cert.get();
  X509_set_issuer_name(cert.get(), X509_get_subject_name(issuer));
  if (spec.ca) {
    AddExt(cert.get(), issuer, NID_basic_constraints, "critical,CA:TRUE");
    AddExt(cert.get(), issuer, NID_key_usage, "critical,keyCertSign,cRLSign");
    AddExt(cert.get(), issuer, NID_subject_key_identifier, "hash");
    if (!spec.ca_eku.empty()) AddExt(cert.get(), issuer, NID_ext_key_usage, spec.ca_eku);
  } else {
    AddExt(cert.get(), issuer, NID_key_usage, "critical,digitalSignature");
    if (!spec.eku.empty()) AddExt(cert.get(), issuer, NID_ext_key_usage, spec.eku);
    std::string san;
    if (!spec.email.empty()) san = "email:" + spec.email;
    if (!spec.dns.empty()) san += (san.empty() ? "" : ",") + std::string("DNS:") + spec.dns;
    if (!san.empty()) AddExt(cert.get(), issuer, NID_subject_alt_name, "critical," + san);
    if (!spec.issuer_v1.empty()) AddRawExt(cert.get(), "1.3.6.1.4.1.57264.1.1", spec.issuer_v1);
    if (!spec.issuer_v2.empty()) {
      AddRawExt(cert.get(), "1.3.6.1.4.1.57264.1.8", Utf8Der(spec.issuer_v2));
    }
  }
  if (issuer_cert != nullptr) AddExt(cert.get(), issuer, NID_authority_key_identifier, "keyid");
  Check(X509_sign(cert.get(), issuer_key, EVP_sha256()) > 0, "sign certificate");
  return cert;
}

std::string CertPem(X509* cert) {
  verify::BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(bio.get(), cert);
  return BioText(bio.get());
}

std::string Sign(EVP_PKEY* key, std::string_view data) {
  verify::MdCtxPtr ctx(EVP_MD_CTX_new());
  Check(EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) == 1, "sign init");
  size_t n = 0;
  const auto* d = reinterpret_cast<const unsigned char*>(data.data());
  Check(EVP_DigestSign(ctx.get(), nullptr, &n, d, data.size()) == 1, "sign size");
  std::string out(n, '\0');
  Check(EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &n, d,
                       data.size()) == 1,
        "sign");
  out.resize(n);
  return out;
}

std::string Sha256Hex(std::string_view data) {
  return moat::verify::DigestOf(data).substr(7);  // "sha256:" + hex
}

std::string HashedRekordBody(std::string_view signature, std::string_view key_or_cert_pem,
                             std::string_view payload) {
  return R"({"apiVersion":"0.0.1","kind":"hashedrekord","spec":{"data":{"hash":{"algorithm":"sha256","value":")" +
         Sha256Hex(payload) + R"("}},"signature":{"content":")" + verify::EncodeBase64(signature) +
         R"(","publicKey":{"content":")" + verify::EncodeBase64(key_or_cert_pem) + R"("}}}})";
}

std::string RekorBundleJson(EVP_PKEY* rekor, const std::string& body, int64_t integrated_time,
                            int64_t log_index, std::string log_id) {
  if (log_id.empty()) {
    verify::BioPtr bio(BIO_new(BIO_s_mem()));
    PEM_write_bio_PUBKEY(bio.get(), rekor);
    auto pk = verify::PublicKey::FromPem(BioText(bio.get()), "rekor");
    Check(pk.ok(), "rekor key");
    log_id = verify::RekorLogId(*pk);
  }
  const std::string b64 = verify::EncodeBase64(body);
  const std::string canonical = R"({"body":")" + b64 + R"(","integratedTime":)" +
                                std::to_string(integrated_time) + R"(,"logID":")" + log_id +
                                R"(","logIndex":)" + std::to_string(log_index) + "}";
  // cosign writes the Payload fields in its struct order, not canonical order.
  return R"({"SignedEntryTimestamp":")" + verify::EncodeBase64(Sign(rekor, canonical)) +
         R"(","Payload":{"body":")" + b64 + R"(","integratedTime":)" +
         std::to_string(integrated_time) + R"(,"logIndex":)" + std::to_string(log_index) +
         R"(,"logID":")" + log_id + R"("}})";
}

std::string CosignPayload(const std::string& reference, const std::string& digest) {
  return R"({"critical":{"identity":{"docker-reference":")" + reference +
         R"("},"image":{"docker-manifest-digest":")" + digest +
         R"("},"type":"cosign container image signature"},"optional":null})";
}

}  // namespace moat::testing
