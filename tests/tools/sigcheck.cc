// moat_sigcheck: moat's signature checks as a CLI, for the integration test
// that holds them against `skopeo standalone-verify`
// (tests/integration/signatures_test.sh).
//
//   moat_sigcheck (--gpg-key FILE... | --sigstore-key FILE) --signature FILE
//                 --manifest FILE --reference REF
//
// Accepts, as skopeo standalone-verify does, when the signature is good by one
// of the keys, its payload is valid for the mechanism, sha256 (or the signed
// algorithm) of the exact manifest bytes is the signed digest, and the signed
// identity equals REF once both are normalised (docker/distribution rules).
// Prints "format: ...", "digest: ...", "reference: ...", "signer: ..." and
// exits 0; otherwise prints "moat_sigcheck: <reason>" to stderr and exits 1
// (2 for a usage error).
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "base/fs.h"
#include "verify/common/digest.h"
#include "verify/common/reference.h"
#include "verify/signature/gpg.h"
#include "verify/signature/payload.h"
#include "verify/signature/sigstore.h"

namespace {

using moat::Error;
using moat::Result;

constexpr size_t kMaxFile = 4u << 20;

struct Args {
  std::vector<std::string> gpg_keys;
  std::string sigstore_key;
  std::string signature;
  std::string manifest;
  std::string reference;
};

int Usage(const char* why) {
  (void)std::fprintf(
      stderr,
      "moat_sigcheck: %s\nusage: moat_sigcheck (--gpg-key FILE... | --sigstore-key FILE) "
      "--signature FILE --manifest FILE --reference REF\n",
      why);
  return 2;
}

Result<std::string> Read(const std::string& path) { return moat::ReadFileNoFollow(path, kMaxFile); }

// The verified payload of the signature, or why there is none.
Result<moat::verify::SignaturePayload> VerifiedPayload(const Args& a, std::string* signer) {
  using namespace moat::verify;
  auto blob = Read(a.signature);
  if (!blob.ok()) return blob.error();
  MOAT_ASSIGN_OR_RETURN(auto parsed, ParseSignatureBlob(blob.value(), a.signature));

  if (parsed.format == SignatureFormat::kSimpleSigning) {
    if (a.gpg_keys.empty())
      return Error{a.signature + ": a simple signing signature needs --gpg-key"};
    std::vector<std::string> keys;
    for (const auto& k : a.gpg_keys) {
      auto bytes = Read(k);
      if (!bytes.ok()) return bytes.error();
      keys.push_back(std::move(bytes.value()));
    }
    auto verifier = GpgVerifier::Create(keys);
    if (!verifier.ok()) return verifier.error();
    auto verified = verifier.value()->Verify(parsed.data);
    if (!verified.ok()) return verified.error().Wrap(a.signature);
    *signer = verified->key_fingerprint;
    return ParsePayload(verified->plaintext, PayloadKind::kSimpleSigning, a.signature);
  }

  if (a.sigstore_key.empty())
    return Error{a.signature + ": a sigstore signature needs --sigstore-key"};
  auto pem = Read(a.sigstore_key);
  if (!pem.ok()) return pem.error();
  auto key = PublicKey::FromPem(pem.value(), a.sigstore_key);
  if (!key.ok()) return key.error();
  auto sig = ParseSigstoreJson(parsed.data, a.signature);
  if (!sig.ok()) return sig.error();
  *signer = std::string(KeyAlgorithmName(key->algorithm())) + " key " + a.sigstore_key;
  return VerifySigstoreSignature(key.value(), sig.value(), a.signature);
}

}  // namespace

namespace {

int Run(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) return Usage(("missing value for " + flag).c_str());
    const std::string value = argv[++i];
    if (flag == "--gpg-key") {
      a.gpg_keys.push_back(value);
    } else if (flag == "--sigstore-key") {
      a.sigstore_key = value;
    } else if (flag == "--signature") {
      a.signature = value;
    } else if (flag == "--manifest") {
      a.manifest = value;
    } else if (flag == "--reference") {
      a.reference = value;
    } else {
      return Usage(("unknown flag " + flag).c_str());
    }
  }
  if (a.signature.empty() || a.manifest.empty() || a.reference.empty() ||
      (a.gpg_keys.empty() && a.sigstore_key.empty())) {
    return Usage("missing arguments");
  }
  auto fail = [](const Error& e) {
    (void)std::fprintf(stderr, "moat_sigcheck: %s\n", e.Describe().c_str());
    return 1;
  };

  auto expected = moat::verify::ParseNormalizedNamed(a.reference);
  if (!expected.ok()) return fail(expected.error().Wrap("--reference"));
  auto manifest = Read(a.manifest);
  if (!manifest.ok()) return fail(manifest.error());

  std::string signer;
  auto payload = VerifiedPayload(a, &signer);
  if (!payload.ok()) return fail(payload.error());

  if (!moat::verify::ManifestMatchesDigest(manifest.value(), payload->docker_manifest_digest)) {
    return fail(Error{a.signature + ": signed digest " + payload->docker_manifest_digest +
                      " is not the manifest's " +
                      moat::verify::DigestOf(manifest.value(), payload->docker_manifest_digest)});
  }
  auto signed_ref = moat::verify::ParseNormalizedNamed(payload->docker_reference);
  if (!signed_ref.ok()) {
    return fail(Error{a.signature + ": invalid signed reference \"" + payload->docker_reference +
                      "\": " + signed_ref.error().message});
  }
  if (signed_ref->String() != expected->String()) {
    return fail(Error{a.signature + ": signed reference \"" + payload->docker_reference +
                      "\" does not match \"" + a.reference + "\""});
  }
  (void)std::printf("format: %s\ndigest: %s\nreference: %s\nsigner: %s\n",
                    moat::verify::PayloadKindName(payload->kind),
                    payload->docker_manifest_digest.c_str(), payload->docker_reference.c_str(),
                    signer.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return Run(argc, argv);
  } catch (...) {
    (void)std::fprintf(stderr, "moat_sigcheck: unexpected exception\n");
    return 1;
  }
}
