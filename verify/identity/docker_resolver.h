// Which image a Docker container's rootfs comes from, read at `create` from
// the state dockerd wrote (overlay2 only; see DESIGN.md, "Facts about where
// each engine keeps the truth", Docker):
//
//   containers/<id>/config.v2.json          -> image id, driver, typed name
//   image/overlay2/layerdb/mounts/<id>/      -> mount-id (= root.path's cacheid),
//                                               parent (= top chainID)
//   image/overlay2/imagedb/content/sha256/   -> image config (sha256 = id),
//                                               rootfs.diff_ids -> chainIDs
//   image/overlay2/repositories.json         -> tags and repo digests
//   containerd content store blobs/sha256/   -> manifest bytes, checked
//
// `distribution/` is a cache Docker may rebuild and is never read.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "base/status.h"
#include "verify/identity/identity.h"

namespace moat::verify {

struct DockerResolveInput {
  /// The container id from runc's argv: 64 lower-case hex.
  std::string container_id;
  /// `root.path` of the bundle's config.json, exactly as written there.
  std::string root_path;
  /// dockerd's data-root. Symlinks in it are resolved (dockerd resolves its
  /// own). Empty: taken from root_path, `<data-root>/overlay2/<cacheid>/merged`
  /// -- then whoever wrote config.json chose the directory trusted, so
  /// production configuration should always name it.
  std::string docker_root;
  /// containerd content stores (directories holding blobs/sha256/) to find
  /// manifests in, in order. Empty: DefaultDockerContentStores(data-root).
  std::vector<std::string> content_stores;
  /// Every directory and file read below the data-root must be owned by this
  /// uid and not writable by group or others. Blobs are content-addressed and
  /// checked by hash instead.
  uid_t trusted_uid = 0;
};

/// The content stores of dockerd's own managed containerd
/// (`<data-root>/containerd/daemon/io.containerd.content.v1.content`) and of a
/// system containerd given by `--containerd`, as Debian's docker.service does
/// (`/var/lib/containerd/io.containerd.content.v1.content`).
std::vector<std::string> DefaultDockerContentStores(const std::string& docker_root);

/// Docker's layer chain IDs: chainID(0) = diffID(0),
/// chainID(n) = "sha256:" + hex(sha256(chainID(n-1) + " " + diffID(n))).
std::vector<std::string> DockerChainIds(const std::vector<std::string>& diff_ids);

/// Resolves and cross-checks the identity of container `in.container_id`.
/// Every inconsistency is an error naming the file and what did not match;
/// a repo digest whose manifest bytes are not in any content store is left
/// out (and said so in `evidence`), never trusted on its own.
Result<ImageIdentity> ResolveDocker(const DockerResolveInput& in);

/// The identity of an image in dockerd's store, for `moat verify IMAGE-REF`:
/// `reference` is a name ("busybox", "registry/app:1", "app@sha256:...") that
/// repositories.json maps to an image, or an image id ("sha256:<hex>"). The
/// image config must hash to the id; names and manifests as ResolveDocker
/// establishes them. No container, so no layer mount is checked.
/// `in.container_id` and `in.root_path` are not used; `in.docker_root` must
/// be set.
Result<ImageIdentity> ResolveDockerImage(const DockerResolveInput& in,
                                         const std::string& reference);

}  // namespace moat::verify
