// moat trust pull: what cosign pushed next to an image, fetched from its
// registry into moat's local trust store, so that create stays offline.
//
//   moat trust pull IMAGE-REF [--authfile F] [--plain-http] [--timeout-ms N]
//   moat trust pull --all
//
// For the manifest digest the tag resolves to (and, for a multi-arch index,
// also the manifest of this host's platform, as cosign signs either):
//  - "sha256-<hex>.sig": each simplesigning layer becomes one sigstore-json
//    signature-N in the lookaside directory registries.d names;
//  - "sha256-<hex>.att": each DSSE layer whose in-toto statement is a cosign
//    vuln predicate about the digest goes to the verdict store;
//  - referrers (the OCI 1.1 API, else the referrers tag "sha256-<hex>"):
//    manifests with such layers, and sigstore bundles whose dsseEnvelope is
//    such an attestation. Referrers are dispatched by their layers' media
//    types, not the index's artifactType (cosign 2.5 lists bundles there as
//    application/vnd.oci.empty.v1+json). A bundle with a messageSignature cannot become a
//    containers/image signature (it lacks the payload): refused by name.
// Storing is not trusting: everything is verified against the policy at
// every create.
#include <sys/utsname.h>

#include <cstdio>
#include <set>

#include "base/fs.h"
#include "base/json.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "shim/config.h"
#include "verify/common/reference.h"
#include "verify/registry/auth_file.h"
#include "verify/registry/cosign_layout.h"
#include "verify/registry/registry_client.h"
#include "verify/signature/lookaside_store.h"
#include "verify/signature/payload.h"
#include "verify/signature/registries_d.h"
#include "verify/signature/sigstore.h"
#include "verify/verdict/dsse.h"
#include "verify/verdict/intoto.h"
#include "verify/verdict/verdict_store.h"
#include "verify/verdict/vuln_predicate.h"

namespace moat::cli {

namespace {

constexpr size_t kMaxSignatureBlob = 4u << 20;
constexpr size_t kMaxAttestationBlob = 40u << 20;

const std::vector<FlagSpec> kPullFlags = {
    {"all", false, "every tagged or digested image in the Docker store (moat.conf docker_root)"},
    {"authfile", true,
     "credentials file (auth.json / config.json); default: containers' then Docker's"},
    {"plain-http", false,
     "talk plain http to the registry (default: https; http only on loopback)"},
    {"timeout-ms", true, "per-request timeout in milliseconds (default 30000)"},
};

constexpr const char* kPullUsage =
    "usage: moat trust pull IMAGE-REF [--authfile F] [--plain-http] [--timeout-ms N]\n"
    "       moat trust pull --all\n"
    "\n"
    "Fetches the cosign signatures (sha256-<hex>.sig), attestations (.att) and OCI\n"
    "referrers of an image from its registry into moat's trust store: signatures\n"
    "into the lookaside directory registries.d names, vuln attestations into the\n"
    "verdict store. Storing is not trusting: moat-runtime verifies them at create.\n";

std::string HostPlatform() {
  struct utsname u {};
  std::string arch = ::uname(&u) == 0 ? u.machine : "";
  if (arch == "x86_64") arch = "amd64";
  if (arch == "aarch64") arch = "arm64";
  if (arch.rfind("armv7", 0) == 0) arch = "arm/v7";
  return "linux/" + arch;
}

struct Found {
  std::vector<std::string> signatures;    // sigstore-json files
  std::vector<std::string> attestations;  // DSSE envelopes
  std::vector<std::string> notes;         // what was skipped, and why
};

// An attestation moat can use: a DSSE in-toto statement with the vuln
// predicate naming `digest`. Anything else is a note, not an error.
void AddAttestation(const std::string& envelope, const std::string& digest,
                    const std::string& where, Found* found) {
  auto env = verify::ParseDsseEnvelope(envelope, where);
  if (!env.ok()) return found->notes.push_back("skipped: " + env.error().Describe());
  auto st = verify::ParseStatement(env->payload, where + ": payload");
  if (!st.ok()) return found->notes.push_back("skipped: " + st.error().Describe());
  if (st->predicate_type != verify::kCosignVulnPredicateType) {
    return found->notes.push_back("skipped: " + where + ": predicateType " +
                                  json::Quote(st->predicate_type) + " is not a scan verdict");
  }
  if (!st->Names(digest))
    return found->notes.push_back("skipped: " + where + ": its subject is not " + digest);
  found->attestations.push_back(envelope);
}

// The layers of a cosign .sig/.att manifest or a referrer, by media type.
Status Collect(verify::RegistryClient& client, const verify::ManifestDoc& m,
               const std::string& digest, const std::string& where, Found* found) {
  for (size_t i = 0; i < m.layers.size(); ++i) {
    const auto& layer = m.layers[i];
    const std::string lw = where + ": layers[" + std::to_string(i) + "]";
    if (layer.media_type == verify::kSigstoreSignatureMimeType) {
      MOAT_ASSIGN_OR_RETURN(auto payload, client.GetBlob(layer, kMaxSignatureBlob));
      MOAT_ASSIGN_OR_RETURN(auto file, verify::SigstoreFileFromLayer(layer, payload, lw));
      auto p = verify::ParsePayload(payload, verify::PayloadKind::kCosign, lw + ": payload");
      if (!p.ok()) {
        found->notes.push_back("skipped: " + p.error().Describe());
      } else if (p->docker_manifest_digest != digest) {
        found->notes.push_back("skipped: " + lw + ": signs " + p->docker_manifest_digest);
      } else {
        found->signatures.push_back(std::move(file));
      }
    } else if (layer.media_type == verify::kDsseLayerType) {
      MOAT_ASSIGN_OR_RETURN(auto env, client.GetBlob(layer, kMaxAttestationBlob));
      AddAttestation(env, digest, lw, found);
    } else if (layer.media_type.rfind("application/vnd.dev.sigstore.bundle", 0) == 0) {
      // v0.3 ("...bundle.v0.3+json") and the older "...bundle+json;version=0.2".
      MOAT_ASSIGN_OR_RETURN(auto bytes, client.GetBlob(layer, kMaxAttestationBlob));
      MOAT_ASSIGN_OR_RETURN(auto bundle, verify::ReadSigstoreBundle(bytes, lw));
      if (bundle.dsse_envelope.empty()) {
        found->notes.push_back("refused: " + lw + ": sigstore bundle: " + bundle.unconvertible);
      } else {
        AddAttestation(bundle.dsse_envelope, digest, lw + ": dsseEnvelope", found);
      }
    } else {
      found->notes.push_back("skipped: " + lw + ": mediaType " + json::Quote(layer.media_type));
    }
  }
  return Status::Ok();
}

Status CollectTag(verify::RegistryClient& client, const std::string& tag, const std::string& digest,
                  Found* found) {
  MOAT_ASSIGN_OR_RETURN(auto got, client.GetManifest(tag));
  if (!got) return Status::Ok();
  const std::string where = client.base() + " " + tag;
  MOAT_ASSIGN_OR_RETURN(auto m, verify::ParseManifestDoc(got->bytes, got->content_type, where));
  if (m.is_index) return Error{where + ": an index, not a cosign manifest"};
  return Collect(client, m, digest, where, found);
}

Status CollectReferrers(verify::RegistryClient& client, const std::string& digest, Found* found) {
  MOAT_ASSIGN_OR_RETURN(auto got, client.GetReferrers(digest));
  std::string where = client.base() + " referrers of " + digest;
  if (!got) {
    const std::string tag = verify::CosignTag(digest, "");
    found->notes.push_back("the registry has no referrers API; looked for the referrers tag " +
                           tag);
    MOAT_ASSIGN_OR_RETURN(got, client.GetManifest(tag));
    if (!got) return Status::Ok();
    where = client.base() + " " + tag;
  }
  MOAT_ASSIGN_OR_RETURN(auto index, verify::ParseManifestDoc(got->bytes, got->content_type, where));
  if (!index.is_index) return Error{where + ": not an index"};
  for (const auto& d : index.layers) {
    MOAT_ASSIGN_OR_RETURN(auto ref, client.GetManifest(d.digest));
    if (!ref) return Error{where + ": " + d.digest + ": listed but not found"};
    MOAT_ASSIGN_OR_RETURN(
        auto m, verify::ParseManifestDoc(ref->bytes, ref->content_type, where + ": " + d.digest));
    if (m.is_index) continue;
    MOAT_TRY(Collect(client, m, digest, where + ": " + d.digest, found));
  }
  return Status::Ok();
}

// The credentials for `ref`: from --authfile only, else from the first
// default auth file that names the registry (a missing default file is skipped).
Status PickCredentials(const Flags& flags, const verify::Reference& ref,
                       std::optional<verify::Credentials>* out) {
  std::vector<std::string> files = flags.Has("authfile")
                                       ? std::vector<std::string>{flags.Get("authfile")}
                                       : verify::DefaultAuthFiles();
  for (const auto& f : files) {
    auto text = ReadFileNoFollow(f, 1u << 20);
    if (!text.ok()) {
      if (text.error().err == ENOENT && !flags.Has("authfile")) continue;
      return text.error();
    }
    MOAT_ASSIGN_OR_RETURN(auto parsed, verify::ParseAuthFile(*text, f));
    *out = verify::FindCredentials(parsed, ref.domain, ref.path);
    if (*out) return Status::Ok();
  }
  return Status::Ok();
}

// Resolves one reference at its registry, fetches what cosign pushed for its
// digests and stores it.
Status PullOne(const std::string& text, const Flags& flags, const shim::Config& config) {
  MOAT_ASSIGN_OR_RETURN(auto ref, verify::ParseNormalizedTagged(text));
  verify::RegistryOptions options;
  options.plain_http = flags.Has("plain-http");
  if (flags.Has("timeout-ms")) {
    const std::string t = flags.Get("timeout-ms");
    char* end = nullptr;
    const long v = std::strtol(t.c_str(), &end, 10);
    if (t.empty() || *end != 0 || v <= 0 || v > 600000)
      return Error{"--timeout-ms: " + json::Quote(t) + " is not 1..600000"};
    options.timeout_ms = v;
  }
  MOAT_TRY(PickCredentials(flags, ref, &options.credentials));
  MOAT_ASSIGN_OR_RETURN(auto client, verify::RegistryClient::Open(ref.domain, ref.path, options));
  const std::string wanted = ref.digest.empty() ? ref.tag : ref.digest;
  MOAT_ASSIGN_OR_RETURN(auto top, client.GetManifest(wanted));
  if (!top) return Error{client.base() + ": " + ref.String() + ": manifest not found"};
  const std::string where = client.base() + " " + ref.String();
  MOAT_ASSIGN_OR_RETURN(auto m, verify::ParseManifestDoc(top->bytes, top->content_type, where));
  std::vector<std::string> digests = {top->digest};
  if (m.is_index) {
    const std::string platform = HostPlatform();
    for (const auto& d : m.layers) {
      if (d.platform == platform || d.platform.rfind(platform + "/", 0) == 0)
        digests.push_back(d.digest);
    }
  }
  MOAT_ASSIGN_OR_RETURN(auto registries, verify::LoadRegistriesD(config.registries_d));
  MOAT_ASSIGN_OR_RETURN(auto base, registries.LookasideFor(ref));
  std::printf("%s: %s resolves to %s%s\n", ref.String().c_str(), client.base().c_str(),
              top->digest.c_str(), m.is_index ? " (an index)" : "");
  for (const auto& digest : digests) {
    Found found;
    MOAT_TRY(CollectTag(client, verify::CosignTag(digest, ".sig"), digest, &found));
    MOAT_TRY(CollectTag(client, verify::CosignTag(digest, ".att"), digest, &found));
    MOAT_TRY(CollectReferrers(client, digest, &found));
    for (const auto& n : found.notes) std::printf("  %s: %s\n", digest.c_str(), n.c_str());
    size_t added = 0;
    if (!found.signatures.empty()) {
      MOAT_ASSIGN_OR_RETURN(auto dir, verify::SignatureDir(base.dir, ref, digest));
      MOAT_ASSIGN_OR_RETURN(auto stored, verify::StoreSignatures(dir, found.signatures));
      for (const auto& s : stored) {
        std::printf("  %s: signature %s%s\n", digest.c_str(), s.path.c_str(),
                    s.added ? "" : " (already stored)");
        added += s.added ? 1 : 0;
      }
    }
    if (!found.attestations.empty() && !config.verdicts) {
      std::printf("  %s: %zu vuln attestation(s) not stored: moat.conf has no verdicts store\n",
                  digest.c_str(), found.attestations.size());
    } else {
      for (const auto& a : found.attestations) {
        MOAT_ASSIGN_OR_RETURN(auto path, verify::WriteVerdict(config.verdicts->store, digest, a));
        std::printf("  %s: attestation %s\n", digest.c_str(), path.c_str());
      }
    }
    std::printf("  %s: %zu signature(s) fetched, %zu new; %zu attestation(s) [%s]\n",
                digest.c_str(), found.signatures.size(), added, found.attestations.size(),
                base.origin.c_str());
  }
  return Status::Ok();
}

// Every "repo:tag" and "repo@sha256:..." dockerd recorded.
Result<std::vector<std::string>> DockerImages(const std::string& docker_root) {
  const std::string file = docker_root + "/image/overlay2/repositories.json";
  MOAT_ASSIGN_OR_RETURN(auto text, ReadFileNoFollow(file, 16u << 20));
  auto doc = json::Parse(text);
  if (!doc.ok()) return doc.error().Wrap(file);
  std::vector<std::string> refs;
  const json::Value* repos = doc->Find("Repositories");
  if (repos == nullptr || !repos->is_object()) return refs;
  for (const auto& [repo, names] : repos->members()) {
    if (!names.is_object()) continue;
    for (const auto& [name, id] : names.members()) refs.push_back(name);
  }
  return refs;
}

}  // namespace

int RunTrustPull(const std::vector<std::string>& args) {
  int exit_code = kExitOk;
  auto flags = ParseCommand("trust pull", args, kPullFlags, kPullUsage, &exit_code);
  if (!flags) return exit_code;
  const bool all = flags->Has("all");
  if (all != flags->positional().empty() || flags->positional().size() > 1)
    return Fail("trust pull: give IMAGE-REF or --all (moat trust pull --help)", kExitUsage);
  auto config = shim::LoadConfig();
  if (!config.ok()) return Fail(config.error());
  std::vector<std::string> refs = flags->positional();
  if (all) {
    auto listed = DockerImages(config->docker_root);
    if (!listed.ok()) return Fail(listed.error());
    refs = *listed;
    if (refs.empty()) std::printf("no tagged images in %s\n", config->docker_root.c_str());
  }
  int rc = kExitOk;
  for (const auto& r : refs) {
    Status st = PullOne(r, *flags, *config);
    if (!st.ok()) {
      (void)Fail(st.error().Wrap("trust pull " + r));
      rc = kExitError;
    }
  }
  return rc;
}

}  // namespace moat::cli
