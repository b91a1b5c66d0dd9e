// verify/signature/payload.h ParsePayload (the signed JSON of a simple signing or
// cosign signature), for both kinds: a payload or an error naming the
// file; a parsed payload's digest is valid.
#include "tests/fuzz/fuzz.h"
#include "verify/common/digest.h"
#include "verify/signature/payload.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text = moat::fuzz::Text(data, size);
  for (auto kind :
       {moat::verify::PayloadKind::kSimpleSigning, moat::verify::PayloadKind::kCosign}) {
    auto p = moat::verify::ParsePayload(text, kind, "signature-1");
    if (!p.ok()) {
      FUZZ_CHECK(p.error().message.rfind("signature-1", 0) == 0);
      continue;
    }
    FUZZ_CHECK(p->kind == kind);
    FUZZ_CHECK(moat::verify::IsValidDigest(p->docker_manifest_digest));
  }
  (void)moat::verify::IsValidDigest(text);
  (void)moat::verify::ManifestMatchesDigest(text, "sha256:" + std::string(64, 'a'));
  return 0;
}
