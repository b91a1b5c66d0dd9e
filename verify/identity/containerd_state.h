// Reading containerd's own state for the containerd resolver: its metadata
// database (container -> image name, snapshot chain; all image names of the
// namespace), and the overlayfs snapshotter's database against the rootfs
// mount. Internal to verify/ (containerd_resolver.cc).
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "verify/identity/docker_tree.h"
#include "verify/identity/identity.h"

namespace moat::verify::containerd {

/// A snapshot in the metadata database: its key in the namespace (for a
/// layer, its chainID) and its name in the snapshotter ("<ns>/<n>/<key>").
struct Snapshot {
  std::string key;
  std::string name;
};

/// An image record: `v1/<ns>/images/<name>/target`.
struct ImageRecord {
  std::string name;
  std::string digest;
  std::string media_type;
};

/// What meta.db says, read from one committed state.
struct MetaFacts {
  std::string image;        // the container's image name
  std::string snapshotter;  // "overlayfs"
  /// [0] the container's own snapshot, then its parents, top layer first.
  std::vector<Snapshot> chain;
  /// Every image record of the namespace, in key order.
  std::vector<ImageRecord> images;
};

/// Reads `<root>/io.containerd.metadata.v1.bolt/meta.db` for container `id`
/// of namespace `ns`. A missing container, an empty image name, a snapshot
/// missing from the chain or a chain longer than a limit is an error.
Result<MetaFacts> ReadMetadata(const docker::Tree& root, const std::string& ns,
                               const std::string& id, ImageIdentity* out);

/// Checks that what is mounted at `mount_point` (per `mountinfo`) is the
/// overlay the overlayfs snapshotter's metadata.db describes for `chain`:
/// lowerdirs the layers' snapshots/<id>/fs, top first, and upperdir the
/// container snapshot's. `root_names` are the spellings of containerd's root
/// the mount options may use (as configured, and with symlinks resolved).
Status CheckRootfsMount(const docker::Tree& root, const std::vector<std::string>& root_names,
                        const std::vector<Snapshot>& chain, const std::string& mountinfo,
                        const std::string& mount_point, ImageIdentity* out);

}  // namespace moat::verify::containerd
