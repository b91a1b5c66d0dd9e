// verify/identity/docker_manifests.h: a manifest, manifest list or OCI index from a
// content store (Classify, ConfigDigest, IndexEntries): a document or an
// error, never a crash; digests it returns are sha256:<hex>.
#include "tests/fuzz/fuzz.h"
#include "verify/common/reference.h"
#include "verify/identity/docker_manifests.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace docker = moat::verify::docker;
  docker::Blob blob;
  blob.bytes = std::string(moat::fuzz::Text(data, size));
  blob.digest = "sha256:" + std::string(64, '0');
  blob.path = "blobs/sha256/" + std::string(64, '0');
  auto doc = docker::Classify(blob);
  if (!doc.ok()) return 0;
  if (doc->kind == docker::Kind::kManifest) {
    auto config = docker::ConfigDigest(*doc, "manifest");
    if (config.ok()) FUZZ_CHECK(moat::verify::IsSha256Digest(*config));
  } else if (doc->kind == docker::Kind::kIndex) {
    auto entries = docker::IndexEntries(*doc, "index");
    if (entries.ok()) {
      for (const auto& e : *entries) FUZZ_CHECK(moat::verify::IsSha256Digest(e.digest));
    }
  }
  return 0;
}
