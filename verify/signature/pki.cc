#include "verify/signature/pki.h"

#include <algorithm>

#include "base/json.h"
#include "verify/signature/cert.h"

namespace moat::verify {

Result<PublicKey> VerifyPkiCertificate(const PkiTrust& trust, const std::string& leaf_pem,
                                       const std::string* chain_pem) {
  const auto fail = [](const Error& e) { return e.Wrap("pki"); };
  auto leaf = ParseLeafPem(leaf_pem, "certificate annotation");
  if (!leaf.ok()) return fail(leaf.error());
  auto roots = ParseCertificatesPem(trust.roots_pem, trust.roots_source);
  if (!roots.ok()) return fail(roots.error());
  std::vector<X509Ptr> inter;
  if (!trust.intermediates_pem.empty()) {
    auto configured = ParseCertificatesPem(trust.intermediates_pem, trust.intermediates_source);
    if (!configured.ok()) return fail(configured.error());
    inter = std::move(configured.value());
  }
  MOAT_ASSIGN_OR_RETURN(auto from_sig, ChainIntermediates(chain_pem, "pki: chain annotation"));
  for (auto& c : from_sig) inter.push_back(std::move(c));
  if (!trust.subject_email.empty()) {
    const auto emails = SanEmails(leaf->get());
    if (std::find(emails.begin(), emails.end(), trust.subject_email) == emails.end()) {
      return Error{"pki: subjectEmail " + json::Quote(trust.subject_email) +
                   " is not among the certificate's emails " + QuotedList(emails)};
    }
  }
  if (!trust.subject_hostname.empty() && !MatchesHostname(leaf->get(), trust.subject_hostname)) {
    return Error{"pki: subjectHostname " + json::Quote(trust.subject_hostname) +
                 " does not match the certificate"};
  }
  Status chain = VerifyChain(leaf->get(), RawCerts(*roots), RawCerts(inter), std::nullopt);
  if (!chain.ok()) return fail(chain.error());
  auto key = LeafPublicKey(leaf->get(), "certificate annotation");
  if (!key.ok()) return fail(key.error());
  return std::move(key.value());
}

}  // namespace moat::verify
