// verify/identity/image_copy.h and oci_layout.h: a copy's index.json
// (SelectOciIndexManifest) and its manifest.json (CopyIdentity): a result or
// an error, never a crash. The input is split at the first NUL byte: before it
// index.json, after it manifest.json.
#include "tests/fuzz/fuzz.h"
#include "verify/common/reference.h"
#include "verify/identity/image_copy.h"
#include "verify/identity/oci_layout.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace v = moat::verify;
  const std::string_view text = moat::fuzz::Text(data, size);
  const size_t nul = text.find('\0');
  const std::string_view index = text.substr(0, nul);
  const std::string manifest(nul == std::string_view::npos ? text : text.substr(nul + 1));

  (void)v::SelectOciIndexManifest(index, "index.json", "");
  (void)v::SelectOciIndexManifest(index, "index.json", "registry.example/app:1");

  v::CopyFiles f;
  f.where = "dir:fuzz";
  f.manifest_path = "manifest.json";
  f.manifest = manifest;
  f.own_signatures = true;
  f.signatures.push_back(v::CopySignature{"sha256:" + std::string(64, '0'), "signature-1", "x"});
  auto id = v::CopyIdentity(f, "registry.example/app:1");
  if (!id.ok()) return 0;
  FUZZ_CHECK(!id->manifests.empty());
  FUZZ_CHECK(id->used_reference == "registry.example/app:1");
  FUZZ_CHECK(id->config_digest.empty() || v::IsSha256Digest(id->config_digest));
  for (const auto& m : id->manifests) FUZZ_CHECK(v::IsSha256Digest(m.digest));
  // A signature is kept only for a manifest of the copy.
  for (const auto& s : id->copy_signatures) {
    bool known = false;
    for (const auto& m : id->manifests) known = known || m.digest == s.manifest_digest;
    FUZZ_CHECK(known);
  }
  return 0;
}
