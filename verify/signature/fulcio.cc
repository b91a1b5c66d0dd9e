#include "verify/signature/fulcio.h"

#include <openssl/asn1.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include <algorithm>

#include "base/json.h"
#include "verify/signature/cert.h"

namespace moat::verify {
namespace {

constexpr const char* kIssuerV1 = "1.3.6.1.4.1.57264.1.1";
constexpr const char* kIssuerV2 = "1.3.6.1.4.1.57264.1.8";

struct Utf8Free {
  void operator()(ASN1_UTF8STRING* s) const { ASN1_UTF8STRING_free(s); }
};

std::string OidText(const ASN1_OBJECT* obj) {
  char buf[128];
  const int n = OBJ_obj2txt(buf, sizeof buf, obj, 1);
  return n > 0 && static_cast<size_t>(n) < sizeof buf ? std::string(buf, static_cast<size_t>(n))
                                                      : std::string();
}

}  // namespace

Result<std::string> FulcioIssuer(X509* leaf) {
  std::optional<std::string> v1, v2;
  for (int i = 0; i < X509_get_ext_count(leaf); ++i) {
    X509_EXTENSION* ext = X509_get_ext(leaf, i);
    const std::string oid = OidText(X509_EXTENSION_get_object(ext));
    const ASN1_OCTET_STRING* data = X509_EXTENSION_get_data(ext);
    const auto* bytes = ASN1_STRING_get0_data(data);
    const auto len = static_cast<size_t>(ASN1_STRING_length(data));
    if (oid == kIssuerV1) {
      if (v1) return Error{"OIDC issuer: duplicate extension " + std::string(kIssuerV1)};
      v1 = std::string(reinterpret_cast<const char*>(bytes), len);
    } else if (oid == kIssuerV2) {
      if (v2) return Error{"OIDC issuer: duplicate extension " + std::string(kIssuerV2)};
      const unsigned char* p = bytes;
      std::unique_ptr<ASN1_UTF8STRING, Utf8Free> s(
          d2i_ASN1_UTF8STRING(nullptr, &p, static_cast<long>(len)));
      if (!s || p != bytes + len) {
        return Error{"OIDC issuer: extension " + std::string(kIssuerV2) +
                     " is not a DER UTF8String"};
      }
      v2 = std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s.get())),
                       static_cast<size_t>(ASN1_STRING_length(s.get())));
    }
  }
  if (v1 && v2 && *v1 != *v2) {
    return Error{"OIDC issuer: inconsistent extension values " + json::Quote(*v1) + " and " +
                 json::Quote(*v2)};
  }
  if (v1) return *v1;
  if (v2) return *v2;
  return Error{"OIDC issuer: the certificate has no issuer extension"};
}

Result<PublicKey> VerifyFulcioCertificate(const FulcioTrust& trust, const std::string& leaf_pem,
                                          const std::string* chain_pem, int64_t integrated_time) {
  const auto fail = [](const Error& e) { return e.Wrap("fulcio"); };
  auto leaf = ParseLeafPem(leaf_pem, "certificate annotation");
  if (!leaf.ok()) return fail(leaf.error());
  auto roots = ParseCertificatesPem(trust.ca_pem, trust.ca_source);
  if (!roots.ok()) return fail(roots.error());
  MOAT_ASSIGN_OR_RETURN(auto inter, ChainIntermediates(chain_pem, "fulcio: chain annotation"));
  const auto at = static_cast<time_t>(integrated_time);
  if (!ValidAt(leaf->get(), at)) {
    return Error{"fulcio: Rekor integrated time " + std::to_string(integrated_time) +
                 " is outside the certificate's validity (" + ValidityText(leaf->get()) + ")"};
  }
  Status chain = VerifyChain(leaf->get(), RawCerts(*roots), RawCerts(inter), at);
  if (!chain.ok()) return fail(chain.error().Wrap("at the Rekor integrated time"));
  auto issuer = FulcioIssuer(leaf->get());
  if (!issuer.ok()) return fail(issuer.error());
  if (*issuer != trust.oidc_issuer) {
    return Error{"fulcio: OIDC issuer " + json::Quote(*issuer) + " is not oidcIssuer " +
                 json::Quote(trust.oidc_issuer)};
  }
  const auto emails = SanEmails(leaf->get());
  if (std::find(emails.begin(), emails.end(), trust.subject_email) == emails.end()) {
    return Error{"fulcio: subjectEmail " + json::Quote(trust.subject_email) +
                 " is not among the certificate's emails " + QuotedList(emails)};
  }
  auto key = LeafPublicKey(leaf->get(), "certificate annotation");
  if (!key.ok()) return fail(key.error());
  return std::move(key.value());
}

}  // namespace moat::verify
