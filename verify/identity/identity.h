// Which image a container's rootfs comes from, established only from host
// state the container engine wrote (never from what the caller claims).
#pragma once

#include <string>
#include <vector>

namespace moat::verify {

/// kOciLayout: an OCI image layout a bundle was unpacked from (`moat run --image`).
/// kCopy: a copy of an image (`skopeo copy … dir:` or an OCI layout) judged by
/// `moat verify dir:`/`oci:` from its manifests alone, no config blob read.
enum class Engine { kUnknown, kDocker, kContainerd, kPodman, kOciLayout, kCopy };

/// A signature that came with a copy of an image (a `dir:` copy's signature-N
/// or <hex>.signature-N), for the manifest it was stored beside.
struct CopySignature {
  std::string manifest_digest;  // "sha256:<hex>" of the manifest it was stored with
  std::string path;             // for messages
  std::string bytes;
};

/// A manifest moat holds the exact bytes of, checked: sha256(bytes) == digest
/// and its config.digest == the image's config digest. For a manifest list /
/// OCI index: sha256(bytes) == digest and it selects a per-platform manifest
/// that passes those checks (and is listed too, with `via_index` set).
struct VerifiedManifest {
  std::string digest;  // "sha256:<64 hex>"
  std::string bytes;   // exact bytes, as pulled
  /// Repositories the engine recorded this manifest digest under
  /// ("docker.io/library/busybox"), normalised; for a per-platform manifest
  /// reached through a list, also the repositories of that list.
  std::vector<std::string> repositories;
  /// mediaType ("application/vnd.docker.distribution.manifest.v2+json",
  /// "application/vnd.oci.image.index.v1+json", ...); for an OCI document
  /// without one, the type its structure implies.
  std::string media_type;
  /// Digests of the recorded manifest lists / OCI indexes that select this
  /// manifest; empty when only its own digest was recorded.
  std::vector<std::string> via_index;
};

struct ImageIdentity {
  Engine engine = Engine::kUnknown;
  /// The image id: "sha256:<hex>" of the image config blob.
  std::string config_digest;
  /// The name the container was created from, normalised
  /// ("docker.io/library/busybox:latest"), when the engine recorded one and
  /// it resolves to this image; empty when the container was created by id.
  std::string used_reference;
  /// Every name:tag the engine maps to this image, normalised.
  std::vector<std::string> tags;
  /// Manifests whose bytes were found and checked (empty for `docker load`ed,
  /// `docker import`ed or locally built images).
  std::vector<VerifiedManifest> manifests;
  /// How each fact was established, for the audit record and `moat verify`.
  std::vector<std::string> evidence;
  /// Set only by the `dir:` copy route: EvaluateTrust then checks
  /// `copy_signatures` (those stored with each manifest) and never reads the
  /// lookaside. Never set on the create path.
  bool own_signatures = false;
  std::vector<CopySignature> copy_signatures;
};

const char* EngineName(Engine e);

}  // namespace moat::verify
