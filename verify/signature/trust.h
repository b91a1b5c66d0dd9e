// The trust decision: does the policy accept this image, as the engine
// recorded it, given the signatures stored for its manifests?
#pragma once

#include <string>
#include <vector>

#include "verify/identity/identity.h"
#include "verify/signature/policy.h"
#include "verify/signature/registries_d.h"

namespace moat::verify {

/// A signing requirement (signedBy, sigstoreSigned) that a signature passed:
/// which requirement, and which key made the signature.
struct TrustSigner {
  RequirementType type = RequirementType::kReject;
  /// The requirement's place in policy.json ("transports.docker[\"...\"][0]").
  std::string where;
  /// signedBy: the fingerprint of the primary key that signed (upper-case hex).
  /// sigstoreSigned: the key's source as policy.json names it (its file path,
  /// or "keyData"; "+rekor" appended when a Rekor SET was required), the key
  /// being root-owned policy material; keyless: "fulcio:<oidcIssuer>/<subjectEmail>";
  /// pki: "pki:<caRoots source>/<subjectEmail>[,<subjectHostname>]".
  std::string key;
  /// The manifest digest the signature covers.
  std::string manifest;
};

/// What the policy said about one image.
struct TrustDecision {
  bool allow = false;  // an error or an empty candidate list leaves it false
  /// The reference that passed ("docker.io/library/busybox:latest"), when one did.
  std::string reference;
  /// The policy scope that decided, e.g. `transports.docker["127.0.0.1:5000/moat"]`.
  std::string scope;
  /// How it passed: "insecureAcceptAnything", or the signer and the manifest it signed.
  std::string how;
  /// The signing requirements that passed, in policy order (empty for
  /// insecureAcceptAnything).
  std::vector<TrustSigner> signers;
  /// Why each candidate reference failed (deny), one line each.
  std::vector<std::string> reasons;
};

/// Evaluates the policy's docker-transport requirements for the image:
/// the name the container was created from when the engine recorded one,
/// else every name the engine maps to this image (any one passing is enough).
/// signedBy needs a GPG simple signature, sigstoreSigned a sigstore signature,
/// stored in the lookaside directory registries.d gives for that name, over a
/// manifest of this image (ImageIdentity::manifests), whose claimed identity
/// the requirement's signedIdentity accepts for that name. With
/// image.own_signatures (only `moat verify dir:` sets it), the signatures are
/// image.copy_signatures stored with each manifest instead, and the lookaside
/// is not read.
/// `cache_dir` (may be empty) keeps GPG verification results between calls.
TrustDecision EvaluateTrust(const Policy& policy, const RegistriesD& registries,
                            const ImageIdentity& image, const std::string& cache_dir = "");

}  // namespace moat::verify
