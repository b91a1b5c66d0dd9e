// Step (e) of the Docker resolver: a repo digest from repositories.json is
// evidence only once the manifest's exact bytes are found in a containerd
// content store, hash to the digest, and name the image's config (directly,
// or through the per-platform entry a manifest list / OCI index selects).
// Internal to verify/ (docker_resolver.cc, containerd_resolver.cc).
#pragma once

#include <string>
#include <vector>

#include "base/json.h"
#include "base/status.h"
#include "verify/identity/identity.h"

namespace moat::verify::docker {

/// A manifest digest dockerd recorded for the image, and the normalised
/// repositories it recorded it under.
struct RepoDigest {
  std::string digest;
  std::vector<std::string> repositories;
};

/// dockerd's and containerd's own cap on a manifest they fetch.
constexpr size_t kMaxManifest = 4u << 20;

/// A blob read from a content store (and checked against its digest).
struct Blob {
  std::string digest;
  std::string bytes;
  std::string path;   // for messages
  std::string store;  // for evidence
};

enum class Kind { kManifest, kIndex, kSchema1 };

/// A manifest, manifest list or OCI index, parsed.
struct Doc {
  Kind kind = Kind::kManifest;
  /// As the document states it or, for OCI without one, as its structure implies.
  std::string media_type;
  json::Value v;
};

/// Parses b.bytes (at most kMaxManifest, Go's key folding) and tells what it is;
/// an error for anything that is not an image manifest, list or index.
Result<Doc> Classify(const Blob& b);

/// A manifest's config.digest, which must be sha256:<hex>.
Result<std::string> ConfigDigest(const Doc& d, const std::string& where);

/// One entry of a manifest list / OCI index.
struct Entry {
  std::string digest;
  std::string platform;  // "linux/amd64", "" when not given
};

/// The entries of a list / index; each digest must be sha256:<hex>.
Result<std::vector<Entry>> IndexEntries(const Doc& d, const std::string& where);

/// The cap on an image config blob.
constexpr size_t kMaxImageConfig = 16u << 20;

/// An image config's rootfs.diff_ids, bottom layer first, each sha256:<hex>
/// (rootfs.type must be "layers"; Go's key folding, at most kMaxImageConfig).
/// `file` names the config in errors.
Result<std::vector<std::string>> ConfigDiffIds(const std::string& bytes, const std::string& file);

/// Looks each digest up in `stores` (directories holding blobs/sha256/, in
/// order; absent ones are skipped) and appends what checks out to
/// id->manifests, and how to id->evidence. id->config_digest must be set.
/// A digest in no store is left out; a blob that does not hash to its name,
/// does not parse, or is a manifest naming another config is an error.
Status AddManifests(const std::vector<std::string>& stores, const std::vector<RepoDigest>& digests,
                    ImageIdentity* id);

}  // namespace moat::verify::docker
