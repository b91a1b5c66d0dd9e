// Keyless (Fulcio) sigstore signatures, verified offline as containers/image
// does (signature/fulcio_cert.go).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "base/status.h"
#include "verify/signature/policy.h"
#include "verify/signature/sigstore.h"

namespace moat::verify {

/// The OIDC issuer Fulcio recorded in a certificate: 1.3.6.1.4.1.57264.1.1
/// (raw string) and/or 1.3.6.1.4.1.57264.1.8 (DER UTF8String); when both are
/// present they must agree; neither, a duplicate or bad DER is an error.
Result<std::string> FulcioIssuer(X509* leaf);

/// Fulcio: the leaf (certificate annotation, exactly one) chains to the
/// configured CA, intermediates from the chain annotation untrusted (its last
/// certificate, the root, ignored), at `integrated_time` (the Rekor time:
/// Fulcio certificates live minutes); code-signing EKU; the issuer
/// extension equals oidcIssuer; subjectEmail is a SAN email. Returns the
/// leaf's key. Errors: "fulcio: certificate chain: ...", "fulcio: OIDC issuer ...".
Result<PublicKey> VerifyFulcioCertificate(const FulcioTrust& trust, const std::string& leaf_pem,
                                          const std::string* chain_pem, int64_t integrated_time);

}  // namespace moat::verify
