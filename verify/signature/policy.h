// The signature verification policy: containers-policy.json(5), parsed as
// strictly as containers/image does (unknown keys, duplicate keys, wrong types
// and invalid values reject the whole file) and a little more strictly where
// a policy could otherwise silently mean less than it says.
//
// Every transport containers/image defines is accepted with the same
// requirement syntax (atomic, containers-storage, dir, docker, docker-archive,
// docker-daemon, oci, oci-archive, ostree, sif, tarball), but moat evaluates
// only "docker" (a container's image is identified by its registry name): key
// files are read for `default` and `transports.docker` only, and ForDocker is
// the only lookup. Scopes of other transports are not validated.
//
// sigstoreSigned takes every form containers/image knows, with its rules
// (signature/policy_config_sigstore.go): exactly one of keyPath, keyPaths,
// keyData, keyDatas, fulcio and pki; at most one of rekorPublicKeyPath,
// rekorPublicKeyPaths, rekorPublicKeyData and rekorPublicKeyDatas; fulcio
// requires one of them and pki refuses them; fulcio needs exactly one of
// caPath/caData, a non-empty oidcIssuer and subjectEmail; pki needs exactly
// one of caRootsPath/caRootsData, at most one of caIntermediatesPath/
// caIntermediatesData, and subjectEmail or subjectHostname. Every *Path is
// checked as keyPath is (absolute, no symlink, root-owned).
//
// moat-specific refusals, each an error naming the field:
//  - signedBy keyType other than "GPGKeys" (containers/image parses
//    "signedByGPGKeys", "X509Certificates", "signedByX509CAs" but rejects
//    every image with them);
//  - relative or symlinked key paths, key files not owned by root or
//    writable by group/others, empty keys, null values, unknown transports,
//    docker scopes that can never match (see ValidateDockerScope).
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "verify/common/reference.h"

namespace moat::verify {

/// signedIdentity: which identity a signature must claim for the image.
enum class IdentityMatch {
  kMatchRepoDigestOrExact,  // the default when signedIdentity is absent
  kMatchExact,
  kMatchRepository,
  kExactReference,
  kExactRepository,
  kRemapIdentity,
};

struct SignedIdentity {
  IdentityMatch type = IdentityMatch::kMatchRepoDigestOrExact;
  /// kExactReference: dockerReference, normalised, with a tag or digest.
  /// kExactRepository: dockerRepository, normalised (only its Name() counts).
  Reference reference;
  /// kRemapIdentity: "host[:port]" or "host[:port]/namespace[/repo]".
  std::string prefix;
  std::string signed_prefix;
};

/// A policy requirement type. The first value denies, so a default-constructed
/// Requirement rejects.
enum class RequirementType {
  kReject,
  kInsecureAcceptAnything,
  /// GPG "simple signing", keyType "GPGKeys"; keys are OpenPGP keyrings.
  kSignedBy,
  /// sigstore signature by a public key; keys are PEM public keys.
  kSigstoreSigned,
  /// Parsed for compatibility only: containers/image rejects every image with
  /// it ("signedBaseLayer not implemented"), and so must an evaluator.
  kSignedBaseLayer,
};

/// Key material, read (keyPath, keyPaths) or decoded (keyData, keyDatas)
/// when the policy is loaded.
struct TrustedKey {
  std::string source;  // the file path, or the field ("keyData", "keyDatas[1]")
  /// Never empty for `default` and transports.docker; empty for key files of
  /// transports moat does not evaluate (not read).
  std::string bytes;
};

/// sigstoreSigned "fulcio": keyless signatures by a Fulcio-issued certificate.
struct FulcioTrust {
  std::string ca_source;  // caPath's path, or "fulcio.caData"
  std::string ca_pem;     // one or more PEM certificates
  std::string oidc_issuer;
  std::string subject_email;
};

/// sigstoreSigned "pki": signatures by a certificate of a configured X.509 CA.
struct PkiTrust {
  std::string roots_source;
  std::string roots_pem;
  std::string intermediates_source;  // empty when not configured
  std::string intermediates_pem;
  std::string subject_email;     // may be empty (not both)
  std::string subject_hostname;  // may be empty
};

/// Where a sigstoreSigned requirement's signing key comes from.
enum class SigstoreKeySource { kPublicKeys, kFulcio, kPki };

struct Requirement {
  RequirementType type = RequirementType::kReject;
  /// kSignedBy, kSigstoreSigned (kPublicKeys): at least one key; a signature
  /// by any of them counts.
  std::vector<TrustedKey> keys;
  /// kSigstoreSigned only.
  SigstoreKeySource key_source = SigstoreKeySource::kPublicKeys;
  FulcioTrust fulcio;
  PkiTrust pki;
  /// rekorPublicKey*: when not empty, a Rekor SET (bundle annotation) by one
  /// of these ECDSA keys is required. Never empty with kFulcio.
  std::vector<TrustedKey> rekor_keys;
  /// kSignedBy, kSigstoreSigned: signedIdentity; kSignedBaseLayer: baseLayerIdentity.
  SignedIdentity identity;
  /// Where it was written, for messages: "transports.docker[\"quay.io\"][0]".
  std::string where;
};

/// All must be satisfied; never empty after parsing.
using Requirements = std::vector<Requirement>;
/// Scope ("" = the transport's default) → requirements.
using TransportScopes = std::map<std::string, Requirements>;

struct Policy {
  Requirements default_requirements;
  /// Transport name → scopes.
  std::map<std::string, TransportScopes> transports;

  /// The requirements for an image of the docker transport: the first of
  /// DockerScopes(ref) present in transports.docker, then its "" scope, then
  /// `default`. `matched` (optional) gets where they came from:
  /// "transports.docker[\"docker.io/library\"]", "transports.docker[\"\"]", "default".
  const Requirements& ForDocker(const Reference& ref, std::string* matched = nullptr) const;
};

struct PolicyOptions {
  /// Refuse a policy file or key file not owned by root or writable by
  /// group/others. Off only in tests that cannot create root-owned files.
  bool require_root_owned = true;
  /// Read the key files a policy names. Off only for fuzzing (tests/fuzz/),
  /// which must not read the host's files: paths are still checked, and
  /// every TrustedKey of a key file then has empty bytes.
  bool read_key_files = true;
  size_t max_policy_bytes = 4u << 20;
  size_t max_key_bytes = 1u << 20;
};

/// Parses policy text. Errors read "<display>: <field>: <problem>", e.g.
/// "policy.json: transports.docker[\"quay.io\"][0].keyPathz: unknown key".
Result<Policy> ParsePolicy(std::string_view text, const std::string& display,
                           const PolicyOptions& options = PolicyOptions());

/// Reads `path` (no symlink at the last component, size-limited, root-owned
/// unless disabled) and parses it with the path as display name.
Result<Policy> LoadPolicy(const std::string& path, const PolicyOptions& options = PolicyOptions());

/// Whether a signature claiming `signature_ref` is acceptable for an image
/// used as `image_ref`, exactly as containers/image's PolicyReferenceMatch
/// implementations decide (signature/policy_reference_match.go):
///  - matchExact: both carry a tag or digest, and String()s are equal;
///  - matchRepoDigestOrExact: image tagged → String()s equal; image by digest
///    only → same repository; the signature must carry a tag or digest;
///  - matchRepository: same repository;
///  - exactReference: as matchExact, against dockerReference instead of the image;
///  - exactRepository: signature's repository equals dockerRepository's;
///  - remapIdentity: if the image's repository equals `prefix` or starts with
///    prefix + "/", that leading prefix of image_ref.String() is replaced by
///    signedPrefix (the result must be in fully expanded form, else no match),
///    then matchRepoDigestOrExact.
/// `image_ref` should carry a tag or a digest (containers/image's docker
/// transport refuses both at once; with both, a tagged comparison includes
/// the digest). `signature_ref` is the signature's docker-reference parsed by
/// ParseNormalizedNamed, with no default tag added.
bool MatchesSignedIdentity(const SignedIdentity& identity, const Reference& image_ref,
                           const Reference& signature_ref);

/// Names as written in policy.json ("signedBy", "matchRepoDigestOrExact").
const char* RequirementTypeName(RequirementType t);
const char* IdentityMatchName(IdentityMatch m);

}  // namespace moat::verify
