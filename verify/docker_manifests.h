// Step (e) of the Docker resolver: a repo digest from repositories.json is
// evidence only once the manifest's exact bytes are found in a containerd
// content store, hash to the digest, and name the image's config (directly,
// or through the per-platform entry a manifest list / OCI index selects).
// Internal to verify/.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "verify/identity.h"

namespace moat::verify::docker {

/// A manifest digest dockerd recorded for the image, and the normalised
/// repositories it recorded it under.
struct RepoDigest {
  std::string digest;
  std::vector<std::string> repositories;
};

/// Looks each digest up in `stores` (directories holding blobs/sha256/, in
/// order; absent ones are skipped) and appends what checks out to
/// id->manifests, and how to id->evidence. id->config_digest must be set.
/// A digest in no store is left out; a blob that does not hash to its name,
/// does not parse, or is a manifest naming another config is an error.
Status AddManifests(const std::vector<std::string>& stores, const std::vector<RepoDigest>& digests,
                    ImageIdentity* id);

}  // namespace moat::verify::docker
