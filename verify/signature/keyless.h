// A sigstoreSigned requirement applied to one sigstore signature: which key
// signed (a policy key, a Fulcio certificate, a pki certificate), the Rekor
// SET when configured, then the signature over the payload.
#pragma once

#include <string>

#include "base/status.h"
#include "verify/signature/payload.h"
#include "verify/signature/policy.h"
#include "verify/signature/sigstore.h"
#include "verify/signature/verify_cache.h"

namespace moat::verify {

/// Verifies `sig` against the requirement's key source, in containers/image's
/// order (signature/policy_eval_sigstore.go): the Rekor SET (its integrated
/// time), the certificate at that time, then the signature; only then is
/// the payload parsed. `signer` gets how the key is named in decisions:
/// the key's source ("/etc/pki/cosign.pub", "keyData"), "<source>+rekor",
/// "fulcio:<oidcIssuer>/<subjectEmail>" or "pki:<caRoots source>/<subject>".
/// Errors: "<display>: fulcio: ...", "<display>: rekor SET: ...".
///
/// `cache` (may be null) keeps fulcio results: a fulcio verification does
/// not depend on the current time (the certificate is judged at the Rekor
/// integrated time) and there is no revocation, so the answer is a function
/// of the policy material (CA, issuer, email, Rekor keys) and the signature,
/// all of which make the cache key. pki (judged now) is never cached.
Result<SignaturePayload> VerifySigstoreRequirement(const Requirement& req,
                                                   const SigstoreSignature& sig,
                                                   const std::string& display, std::string* signer,
                                                   const VerifyCache* cache = nullptr);

/// The cache key of a fulcio verification (hex).
std::string KeylessCacheKey(const Requirement& req, const SigstoreSignature& sig);

}  // namespace moat::verify
