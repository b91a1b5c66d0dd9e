// verify/registry/: what `moat trust pull` reads from a registry and the
// operator's auth files: manifests and indexes (ParseManifestDoc), cosign
// signature layers (SigstoreFileFromLayer), sigstore bundles, auth files and
// WWW-Authenticate challenges. Results or errors, never a crash; what
// SigstoreFileFromLayer writes parses back as the signature it was built from.
#include "tests/fuzz/fuzz.h"
#include "verify/registry/auth_file.h"
#include "verify/registry/challenge.h"
#include "verify/registry/cosign_layout.h"
#include "verify/signature/sigstore.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text = moat::fuzz::Text(data, size);
  using namespace moat::verify;
  for (std::string_view ct : {"", "application/vnd.oci.image.manifest.v1+json"}) {
    auto m = ParseManifestDoc(text, ct, "manifest");
    if (!m.ok()) {
      FUZZ_CHECK(m.error().message.rfind("manifest", 0) == 0);
      continue;
    }
    FUZZ_CHECK(IsKnownManifestType(m->media_type));
    for (const auto& layer : m->layers) {
      FUZZ_CHECK(layer.size >= 0);
      auto file = SigstoreFileFromLayer(layer, text, "layer");
      if (file.ok()) {
        auto back = ParseSigstoreBlob(*file, "back");
        FUZZ_CHECK(back.ok());
        FUZZ_CHECK(back->payload == text);
        FUZZ_CHECK(back->IsSignature());
      }
    }
  }
  auto bundle = ReadSigstoreBundle(text, "bundle");
  if (bundle.ok()) FUZZ_CHECK(bundle->dsse_envelope.empty() != bundle->unconvertible.empty());
  auto auth = ParseAuthFile(text, "auth.json");
  if (auth.ok()) {
    (void)FindCredentials(*auth, "docker.io", "library/busybox");
    (void)FindCredentials(*auth, "127.0.0.1:5000", "a/b");
  } else {
    FUZZ_CHECK(auth.error().message.rfind("auth.json", 0) == 0);
  }
  auto ch = ParseChallenge(text);
  if (ch.ok()) FUZZ_CHECK(!ch->scheme.empty());
  (void)UrlEncode(text);
  return 0;
}
