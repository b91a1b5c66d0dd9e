// X.509 certificates in sigstore signatures (Fulcio and pki): PEM parsing,
// chain verification with OpenSSL and the checks containers/image makes of a
// leaf (signature/fulcio_cert.go, pki_cert.go): code-signing EKU, SAN email,
// SAN hostname.
#pragma once

#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <ctime>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "verify/signature/sigstore.h"

namespace moat::verify {

struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;

/// Every "CERTIFICATE" PEM block of `pem`, as cosign's
/// UnmarshalCertificatesFromPEM reads it: another block type or an
/// unparsable certificate is an error; none at all is an error.
Result<std::vector<X509Ptr>> ParseCertificatesPem(std::string_view pem, const std::string& what);

/// Exactly one certificate (the leaf annotation).
Result<X509Ptr> ParseLeafPem(std::string_view pem, const std::string& what);

/// The DER bytes of the single PEM block of `pem`; trailing data after it is
/// an error (Go's pem.Decode `rest`). Any block type.
Result<std::string> PemBlockDer(std::string_view pem, const std::string& what);

/// Verifies that `leaf` chains to one of `roots` (trust anchors, as Go's
/// CertPool: any of them may end the chain) through `intermediates`
/// (untrusted), at time `at`, or now, and that every certificate of the chain
/// allows code signing (CheckCodeSigning; Go checks the whole chain).
/// Errors: "certificate chain: <reason>", "certificate: extended key usage: ...".
Status VerifyChain(X509* leaf, const std::vector<X509*>& roots,
                   const std::vector<X509*>& intermediates, std::optional<time_t> at);

/// Go's VerifyOptions{KeyUsages: CodeSigning} for the leaf: no EKU extension,
/// or one with codeSigning or anyExtendedKeyUsage.
Status CheckCodeSigning(X509* leaf);

/// The rfc822Name SANs.
std::vector<std::string> SanEmails(X509* leaf);

/// Go's Certificate.VerifyHostname: an IP address against IP SANs, else a
/// name against DNS SANs (a wildcard only as a whole leftmost label), never
/// the subject CN.
bool MatchesHostname(X509* leaf, const std::string& host);

/// The leaf's public key, as sigstore verification takes keys.
Result<PublicKey> LeafPublicKey(X509* leaf, const std::string& what);

/// notBefore <= t <= notAfter.
bool ValidAt(X509* cert, time_t t);

/// "notBefore 2026-12-03T07:00:00Z, notAfter ..." for messages.
std::string ValidityText(X509* cert);

/// The intermediates a chain annotation contributes: every certificate but
/// the last (the root, which containers/image never trusts from a signature).
Result<std::vector<X509Ptr>> ChainIntermediates(const std::string* chain_pem,
                                                const std::string& what);

/// The raw pointers of `certs`, as VerifyChain takes them.
std::vector<X509*> RawCerts(const std::vector<X509Ptr>& certs);

/// ["a", "b"] for messages.
std::string QuotedList(const std::vector<std::string>& items);

}  // namespace moat::verify
