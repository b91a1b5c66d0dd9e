// Which image a podman container's rootfs comes from, read at `create` from
// the containers-storage graph root podman wrote (overlay driver only; see
// DESIGN.md, "Facts about where each engine keeps the truth", podman).
// Observed with podman 4.3.1 on Debian 12, graph root G:
//
//   argv   create --bundle G/overlay-containers/<id>/userdata --pid-file ... <id>
//   root.path  G/overlay/<container layer>/merged, mounted by podman
//   G/overlay-containers/containers.json  id -> image id, container layer,
//                                         metadata {"image-name", "image-id"}
//   G/overlay-layers/layers.json          layer -> parent, diff-digest
//   G/overlay-images/images.json          image -> names, top layer,
//                                         big-data-names / -digests
//   G/overlay-images/<image>/             big data: the config under key
//     "sha256:<image id>", each manifest (and a pulled list) under
//     "manifest-<digest>", the last one also under "manifest"; file names are
//     the key, or "=" + base64(key) when it holds other than [.0-9a-z]
//   G/overlay/<layer>/link, G/overlay/l/<link> -> ../<layer>/diff: lowerdirs
//
// Layer ids are containers/image's: hex(diffID(0)), then
// hex(sha256(id(n-1) + "+" + hex(diffID(n)))). `podman load` and `podman
// import` store a manifest made locally, so no registry signature covers it.
#pragma once

#include <sys/types.h>

#include <string>

#include "base/status.h"
#include "verify/identity/identity.h"

namespace moat::verify {

struct PodmanResolveInput {
  /// --bundle from runc's argv, exactly as given.
  std::string bundle;
  /// The container id from runc's argv: 64 lower-case hex.
  std::string container_id;
  /// `root.path` of the bundle's config.json, exactly as written there.
  std::string root_path;
  /// The containers-storage graph root (`graphroot` in storage.conf,
  /// `podman --root`).
  std::string podman_root = "/var/lib/containers/storage";
  /// The mount table to find the rootfs overlay in (tests may name a copy).
  std::string mountinfo = "/proc/self/mountinfo";
  /// Every directory and file read below the graph root must be owned by
  /// this uid and not writable by group or others.
  uid_t trusted_uid = 0;
};

/// True when `bundle` is `<podman_root>/overlay-containers/<id>/userdata`
/// (podman_root as given or with its symlinks resolved).
bool IsPodmanBundle(const std::string& bundle, const std::string& id,
                    const std::string& podman_root);

/// Resolves and cross-checks the identity of podman container
/// `in.container_id`. Every inconsistency is an error naming the file and
/// what did not match; a container without an image (`podman run --rootfs`)
/// is an error too.
Result<ImageIdentity> ResolvePodman(const PodmanResolveInput& in);

}  // namespace moat::verify
