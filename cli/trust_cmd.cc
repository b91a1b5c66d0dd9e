// moat trust import: signatures of a `skopeo copy ... dir:DIR` copy into the
// lookaside directory registries.d gives for the image's repository, where
// moat-runtime looks for them at create.
//
//   moat trust import DIR --reference REF
//
// DIR holds manifest.json and signature-1..N (skopeo writes both GPG simple
// signatures and sigstore signatures in that form). Storing is not trusting:
// each signature is verified against the policy at every create. What import
// checks is that each file is a signature moat can read and, where its
// payload is readable without a key (sigstore), that it names this manifest.
#include <fcntl.h>

#include <cstdio>

#include "base/fs.h"
#include "base/json.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "shim/config.h"
#include "verify/common/digest.h"
#include "verify/common/reference.h"
#include "verify/signature/lookaside.h"
#include "verify/signature/lookaside_store.h"
#include "verify/signature/payload.h"
#include "verify/signature/registries_d.h"
#include "verify/signature/sigstore.h"

namespace moat::cli {

namespace {

constexpr size_t kMaxManifest = 4u << 20;

const std::vector<FlagSpec> kImportFlags = {
    {"reference", true, "the image's name, e.g. registry.example/team/app:1 (required)"},
};

constexpr const char* kUsage =
    "usage: moat trust import DIR --reference REF\n"
    "\n"
    "Copies the signatures of a `skopeo copy ... dir:DIR` image copy (manifest.json\n"
    "and signature-N files) into the lookaside directory that registries.d names\n"
    "for REF, as <base>/<repository>@sha256=<hex>/signature-N. Signatures already\n"
    "there are kept; identical ones are not added twice. Storing is not trusting:\n"
    "moat-runtime verifies every signature against the policy at create.\n";

/// What one signature file is, or why it cannot be imported.
Result<std::string> Describe(const verify::StoredSignature& sig, const std::string& digest) {
  MOAT_ASSIGN_OR_RETURN(auto blob, verify::ParseSignatureBlob(sig.bytes, sig.path));
  if (blob.format == verify::SignatureFormat::kSimpleSigning)
    return std::string("GPG simple signing (payload checked at create)");
  MOAT_ASSIGN_OR_RETURN(auto s, verify::ParseSigstoreJson(blob.data, sig.path));
  if (!s.IsSignature())
    return Error{sig.path + ": mimeType: " + json::Quote(s.mime_type) + " is not a signature"};
  MOAT_ASSIGN_OR_RETURN(auto p, verify::ParsePayload(s.payload, verify::PayloadKind::kCosign,
                                                     sig.path + ": payload"));
  if (p.docker_manifest_digest != digest) {
    return Error{sig.path + ": payload: critical.image.docker-manifest-digest: signs " +
                 p.docker_manifest_digest + ", not manifest.json's " + digest};
  }
  return "sigstore, for " + json::Quote(p.docker_reference);
}

int Import(const std::vector<std::string>& args) {
  int exit_code = kExitOk;
  auto flags = ParseCommand("trust import", args, kImportFlags, kUsage, &exit_code);
  if (!flags) return exit_code;
  if (flags->positional().size() != 1 || !flags->Has("reference"))
    return Fail("trust import: DIR and --reference REF are required (moat trust import --help)",
                kExitUsage);
  const std::string dir = flags->positional()[0];
  auto ref = verify::ParseNormalizedNamed(flags->Get("reference"));
  if (!ref.ok()) return Fail(ref.error().Wrap("--reference"));

  auto manifest = ReadFileNoFollow(dir + "/manifest.json", kMaxManifest);
  if (!manifest.ok()) return Fail(manifest.error());
  const std::string digest = verify::DigestOf(*manifest);
  auto sigs = verify::ReadLookasideSignatures(dir);
  if (!sigs.ok()) return Fail(sigs.error());
  if (sigs->empty()) return Fail(dir + ": no signature-1: nothing to import");
  std::vector<std::string> kinds;
  for (const auto& s : *sigs) {
    auto kind = Describe(s, digest);
    if (!kind.ok()) return Fail(kind.error());
    kinds.push_back(*kind);
  }

  auto config = shim::LoadConfig();
  if (!config.ok()) return Fail(config.error());
  auto registries = verify::LoadRegistriesD(config->registries_d);
  if (!registries.ok()) return Fail(registries.error());
  auto base = registries->LookasideFor(*ref);
  if (!base.ok()) return Fail(base.error());
  auto target = verify::SignatureDir(base->dir, *ref, digest);
  if (!target.ok()) return Fail(target.error());
  std::vector<std::string> blobs;
  for (const auto& s : *sigs) blobs.push_back(s.bytes);
  auto stored = verify::StoreSignatures(*target, blobs);
  if (!stored.ok()) return Fail(stored.error());
  size_t added = 0;
  for (size_t i = 0; i < sigs->size(); ++i) {
    const auto& s = (*sigs)[i];
    const auto& out = (*stored)[i];
    if (!out.added) {
      std::printf("%s: already stored (%s)\n", s.path.c_str(), kinds[i].c_str());
      continue;
    }
    std::printf("%s -> %s (%s)\n", s.path.c_str(), out.path.c_str(), kinds[i].c_str());
    ++added;
  }
  std::printf("imported %zu of %zu signature(s) of %s (%s) into %s [%s]\n", added, sigs->size(),
              ref->String().c_str(), digest.c_str(), target->c_str(), base->origin.c_str());
  return kExitOk;
}

}  // namespace

int RunTrust(const std::vector<std::string>& args) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::printf(
        "usage: moat trust import DIR --reference REF\n"
        "       moat trust pull IMAGE-REF [--authfile F] | --all\n\n%s",
        kUsage);
    return args.empty() ? kExitUsage : kExitOk;
  }
  if (args[0] == "import") return Import(std::vector<std::string>(args.begin() + 1, args.end()));
  if (args[0] == "pull")
    return RunTrustPull(std::vector<std::string>(args.begin() + 1, args.end()));
  return Fail("trust: \"" + args[0] + "\": unknown subcommand (import, pull)", kExitUsage);
}

}  // namespace moat::cli
