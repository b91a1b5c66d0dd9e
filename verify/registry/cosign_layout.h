// What cosign pushes next to an image, read from manifests (cosign's
// pkg/oci/static and pkg/oci/remote; the OCI distribution spec's referrers):
//
//  - tag "sha256-<hex>.sig": an OCI image manifest, one layer per signature,
//    mediaType application/vnd.dev.cosign.simplesigning.v1+json; the layer's
//    blob is the payload, its annotations carry the signature
//    (dev.cosignproject.cosign/signature) and optionally the certificate,
//    chain and Rekor bundle. containers/image stores each as one
//    "\x00sigstore-json\n" file with exactly those fields;
//  - tag "sha256-<hex>.att": the same manifest shape, layers
//    application/vnd.dsse.envelope.v1+json (the blob is the DSSE envelope),
//    annotation "predicateType";
//  - referrers (GET /v2/<name>/referrers/<digest>, or the referrers tag
//    "sha256-<hex>" where the registry lacks the API): an OCI index whose
//    descriptors carry artifactType, e.g. a sigstore bundle
//    application/vnd.dev.sigstore.bundle.v0.3+json.
// Everything here is untrusted: it is parsed strictly enough to store, and
// verified against the policy at create.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"

namespace moat::verify {

inline constexpr std::string_view kOciManifestType = "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view kOciIndexType = "application/vnd.oci.image.index.v1+json";
inline constexpr std::string_view kDockerManifestType =
    "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr std::string_view kDockerListType =
    "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr std::string_view kDsseLayerType = "application/vnd.dsse.envelope.v1+json";
inline constexpr std::string_view kSigstoreBundleType =
    "application/vnd.dev.sigstore.bundle.v0.3+json";
inline constexpr std::string_view kPredicateTypeAnnotation = "predicateType";

/// An OCI descriptor as a manifest or index lists it.
struct Descriptor {
  std::string media_type;
  std::string digest;  // checked: "sha256:<64 hex>"
  int64_t size = 0;    // checked: >= 0
  std::string artifact_type;
  std::string platform;  // "linux/amd64[/v8]" for an index entry, else ""
  std::vector<std::pair<std::string, std::string>> annotations;

  const std::string* Annotation(std::string_view key) const;
};

/// A manifest or an index, whichever the bytes are.
struct ManifestDoc {
  std::string media_type;  // from the document, or the Content-Type it came with
  bool is_index = false;
  std::string artifact_type;
  Descriptor config;               // manifests only
  std::vector<Descriptor> layers;  // manifests: layers; indexes: manifests
};

/// True for the four manifest and index media types moat fetches.
bool IsKnownManifestType(std::string_view media_type);

/// Parses a manifest or index. `content_type` is the registry's Content-Type
/// (used only when the document has no mediaType; a disagreement is an
/// error). Schema 1 and unknown types are errors; descriptors with a bad
/// digest or size are errors naming `display` and the field.
Result<ManifestDoc> ParseManifestDoc(std::string_view bytes, std::string_view content_type,
                                     const std::string& display);

/// "sha256-<hex>" + suffix (".sig", ".att", "" for the referrers tag).
std::string CosignTag(std::string_view digest, std::string_view suffix);

/// The file form containers/image keeps a cosign signature layer in:
/// "\x00sigstore-json\n" + {"mimeType", "payload" (base64 of `payload`),
/// "annotations" (the layer's)}. The layer must be a simplesigning layer with
/// a signature annotation.
Result<std::string> SigstoreFileFromLayer(const Descriptor& layer, std::string_view payload,
                                          const std::string& display);

/// What a sigstore bundle (v0.1-v0.3) can become in moat's store.
struct BundleContent {
  /// A DSSE envelope (an attestation), as JSON text; empty if none.
  std::string dsse_envelope;
  /// Why the bundle cannot be stored, when dsse_envelope is empty.
  std::string unconvertible;
};

/// Reads a sigstore bundle. A dsseEnvelope becomes an attestation; a
/// messageSignature carries only the payload's digest, not the payload, so
/// it cannot become a containers/image sigstore signature: `unconvertible`
/// says so.
Result<BundleContent> ReadSigstoreBundle(std::string_view bytes, const std::string& display);

}  // namespace moat::verify
