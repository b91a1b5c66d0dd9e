// X.509 (pki) sigstore signatures: a certificate of a configured CA, verified
// offline as containers/image does (signature/pki_cert.go).
#pragma once

#include <string>

#include "base/status.h"
#include "verify/signature/policy.h"
#include "verify/signature/sigstore.h"

namespace moat::verify {

/// pki: the leaf chains to caRoots through caIntermediates and the chain
/// annotation's intermediates, now (as containers/image: no Rekor time);
/// code-signing EKU; subjectEmail a SAN email and subjectHostname matching
/// the SAN, each when configured. Errors: "pki: ...".
Result<PublicKey> VerifyPkiCertificate(const PkiTrust& trust, const std::string& leaf_pem,
                                       const std::string* chain_pem);

}  // namespace moat::verify
