#include "verify/signature/trust.h"

#include <memory>
#include <optional>

#include "verify/common/digest.h"
#include "verify/signature/gpg.h"
#include "verify/signature/keyless.h"
#include "verify/signature/lookaside.h"
#include "verify/signature/payload.h"
#include "verify/signature/sigstore.h"
#include "verify/signature/verify_cache.h"

namespace moat::verify {

namespace {

// The names to evaluate, most specific first, without duplicates.
std::vector<Reference> Candidates(const ImageIdentity& image, std::vector<std::string>* notes) {
  std::vector<Reference> out;
  auto add = [&](const std::string& text) {
    auto r = ParseNormalizedNamed(text);
    if (!r.ok()) {
      notes->push_back(text + ": " + r.error().message);
      return;
    }
    for (const auto& have : out) {
      if (have == *r) return;
    }
    out.push_back(*r);
  };
  if (!image.used_reference.empty()) {
    add(image.used_reference);
    return out;
  }
  for (const auto& t : image.tags) add(t);
  for (const auto& m : image.manifests) {
    for (const auto& repo : m.repositories) add(repo + "@" + m.digest);
  }
  return out;
}

std::string Describe(const TrustSigner& s) {
  return std::string(s.type == RequirementType::kSignedBy ? "GPG key " : "sigstore key ") + s.key +
         " over " + s.manifest;
}

// Checks one stored signature against a requirement; returns the signer on
// success, an error saying what failed otherwise.
Result<TrustSigner> CheckOne(const Requirement& req, const Reference& ref,
                             const VerifiedManifest& manifest, const StoredSignature& stored,
                             const VerifyCache& cache, std::unique_ptr<GpgVerifier>* gpg) {
  MOAT_ASSIGN_OR_RETURN(auto blob, ParseSignatureBlob(stored.bytes, stored.path));
  SignaturePayload payload;
  TrustSigner signer;
  signer.type = req.type;
  signer.where = req.where;
  if (req.type == RequirementType::kSignedBy) {
    if (blob.format != SignatureFormat::kSimpleSigning) {
      return Error{stored.path + ": a sigstore signature, and signedBy needs a GPG one"};
    }
    std::vector<std::string> keys;
    for (const auto& k : req.keys) keys.push_back(k.bytes);
    const std::string cache_key = VerifyCache::GpgKey(keys, blob.data);
    std::optional<GpgVerified> verified = cache.GetGpg(cache_key);
    if (!verified) {
      if (!*gpg) {
        auto v = GpgVerifier::Create(keys);
        if (!v.ok()) return v.error().Wrap(req.where);
        *gpg = std::move(v.value());
      }
      auto fresh = (*gpg)->Verify(blob.data);
      if (!fresh.ok()) return fresh.error().Wrap(stored.path);
      cache.PutGpg(cache_key, *fresh);
      verified = std::move(fresh.value());
    }
    MOAT_ASSIGN_OR_RETURN(
        auto p, ParsePayload(verified->plaintext, PayloadKind::kSimpleSigning, stored.path));
    payload = p;
    signer.key = verified->key_fingerprint;
  } else {
    if (blob.format != SignatureFormat::kSigstore) {
      return Error{stored.path + ": a GPG signature, and sigstoreSigned needs a sigstore one"};
    }
    MOAT_ASSIGN_OR_RETURN(auto sig, ParseSigstoreJson(blob.data, stored.path));
    MOAT_ASSIGN_OR_RETURN(payload,
                          VerifySigstoreRequirement(req, sig, stored.path, &signer.key, &cache));
  }
  if (payload.docker_manifest_digest != manifest.digest) {
    return Error{stored.path + ": signs manifest " + payload.docker_manifest_digest + ", not " +
                 manifest.digest};
  }
  auto signed_ref = ParseNormalizedNamed(payload.docker_reference);
  if (!signed_ref.ok()) return signed_ref.error().Wrap(stored.path + ": docker-reference");
  if (!MatchesSignedIdentity(req.identity, ref, *signed_ref)) {
    return Error{stored.path + ": signed for \"" + payload.docker_reference + "\", which " +
                 IdentityMatchName(req.identity.type) + " does not accept for " + ref.String()};
  }
  signer.manifest = manifest.digest;
  return signer;
}

Result<TrustSigner> CheckSigned(const Requirement& req, const Reference& ref,
                                const RegistriesD& registries, const ImageIdentity& image,
                                const VerifyCache& cache) {
  if (image.manifests.empty()) {
    return Error{
        "no registry manifest of this image is on the host (loaded, imported or built "
        "locally): no signature can cover it"};
  }
  std::unique_ptr<GpgVerifier> gpg;
  std::string last = "no signatures stored";
  for (const auto& m : image.manifests) {
    std::vector<StoredSignature> sigs;
    std::string where;
    if (image.own_signatures) {
      // A copy's own signatures (moat verify dir:): those stored with this
      // manifest, and no others.
      for (const auto& c : image.copy_signatures) {
        if (c.manifest_digest == m.digest) sigs.push_back(StoredSignature{c.path, c.bytes});
      }
      where = "the copy for " + m.digest;
    } else {
      MOAT_ASSIGN_OR_RETURN(auto base, registries.LookasideFor(ref));
      MOAT_ASSIGN_OR_RETURN(where, SignatureDir(base.dir, ref, m.digest));
      MOAT_ASSIGN_OR_RETURN(sigs, ReadLookasideSignatures(where));
    }
    if (sigs.empty()) {
      last = "no signatures in " + where;
      continue;
    }
    for (const auto& s : sigs) {
      auto r = CheckOne(req, ref, m, s, cache, &gpg);
      if (r.ok()) return r;
      last = r.error().Describe();
    }
  }
  return Error{last};
}

}  // namespace

TrustDecision EvaluateTrust(const Policy& policy, const RegistriesD& registries,
                            const ImageIdentity& image, const std::string& cache_dir) {
  TrustDecision d;
  const VerifyCache cache(cache_dir);
  std::vector<std::string> notes;
  std::vector<Reference> candidates = Candidates(image, &notes);
  if (candidates.empty()) {
    // A nameless image (run by id, never tagged) passes only a default that
    // accepts anything: every signature check needs a name.
    bool open = !policy.default_requirements.empty();
    for (const auto& r : policy.default_requirements) {
      open = open && r.type == RequirementType::kInsecureAcceptAnything;
    }
    d.scope = "default";
    if (open) {
      d.allow = true;
      d.how = "insecureAcceptAnything";
    } else {
      d.reasons.push_back(
          "the image has no name the engine recorded, so no signature can be "
          "checked, and the policy's default requires more than "
          "insecureAcceptAnything");
    }
    d.reasons.insert(d.reasons.end(), notes.begin(), notes.end());
    return d;
  }
  for (const auto& ref : candidates) {
    std::string scope;
    const Requirements& reqs = policy.ForDocker(ref, &scope);
    std::vector<std::string> how;
    std::vector<TrustSigner> signers;
    std::string failure;
    for (const auto& req : reqs) {
      switch (req.type) {
        case RequirementType::kInsecureAcceptAnything:
          how.emplace_back("insecureAcceptAnything");
          break;
        case RequirementType::kReject:
          failure = req.where + ": reject";
          break;
        case RequirementType::kSignedBaseLayer:
          failure = req.where + ": signedBaseLayer is not supported";
          break;
        case RequirementType::kSignedBy:
        case RequirementType::kSigstoreSigned: {
          auto r = CheckSigned(req, ref, registries, image, cache);
          if (r.ok()) {
            how.push_back(std::string(RequirementTypeName(req.type)) + ": " + Describe(*r));
            signers.push_back(std::move(r.value()));
          } else {
            failure =
                req.where + ": " + RequirementTypeName(req.type) + ": " + r.error().Describe();
          }
          break;
        }
      }
      if (!failure.empty()) break;
    }
    if (failure.empty() && !reqs.empty()) {
      d.allow = true;
      d.reference = ref.String();
      d.scope = scope;
      for (const auto& h : how) d.how += (d.how.empty() ? "" : "; ") + h;
      d.signers = std::move(signers);
      d.reasons.clear();
      return d;
    }
    d.reasons.push_back(ref.String() + " (scope " + scope +
                        "): " + (failure.empty() ? "no requirements" : failure));
  }
  d.reasons.insert(d.reasons.end(), notes.begin(), notes.end());
  return d;
}

}  // namespace moat::verify
