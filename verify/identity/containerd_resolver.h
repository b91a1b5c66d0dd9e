// Which image a containerd container's rootfs comes from, read at `create`
// from the state containerd wrote (overlayfs snapshotter only; see DESIGN.md,
// "Facts about where each engine keeps the truth", containerd). Observed with
// containerd 1.6:
//
//   bundle <state>/io.containerd.runtime.v2.task/<ns>/<id>, root.path "rootfs"
//   <root>/io.containerd.metadata.v1.bolt/meta.db (bbolt), under v1/<ns>/:
//     containers/<id>/{image, snapshotter, snapshotKey}
//     images/<name>/target/{digest, mediatype}
//     snapshots/overlayfs/<key>/{name, parent}   key of a layer: its chainID;
//                                                name: "<ns>/<n>/<key>"
//   <root>/io.containerd.content.v1.content/blobs/sha256/<hex>: manifest,
//     index and config blobs, checked by hash
//   <root>/io.containerd.snapshotter.v1.overlayfs/metadata.db (bbolt):
//     v1/snapshots/<name>/{id, kind, parent} -> snapshots/<id>/fs
//   /proc/self/mountinfo: <bundle>/rootfs is an overlay whose lowerdirs are
//     those directories, top layer first
//
// The container record holds only an image *name*. The image is the one that
// name's target resolves to in the content store, and only if that image's
// layers (rootfs.diff_ids -> chainIDs) are exactly the container snapshot's
// parent chain; a name retagged since the container was created is an error.
#pragma once

#include <sys/types.h>

#include <string>

#include "base/status.h"
#include "verify/identity/identity.h"

namespace moat::verify {

struct ContainerdResolveInput {
  /// --bundle from runc's argv, exactly as given.
  std::string bundle;
  /// The container id from runc's argv; must be the bundle's last component.
  std::string container_id;
  /// `root.path` of the bundle's config.json: "rootfs" or "<bundle>/rootfs".
  std::string root_path;
  /// containerd's state directory (`state` in its config.toml).
  std::string state_dir = "/run/containerd";
  /// containerd's root directory (`root` in its config.toml).
  std::string containerd_root = "/var/lib/containerd";
  /// The mount table to find the rootfs overlay in (tests may name a copy).
  std::string mountinfo = "/proc/self/mountinfo";
  /// Every directory and file read below containerd's root, except
  /// content-addressed blobs, must be owned by this uid and not writable by
  /// group or others.
  uid_t trusted_uid = 0;
};

/// What a containerd task bundle path names.
struct ContainerdBundle {
  std::string ns;
  std::string id;
};

/// Splits `<state_dir>/io.containerd.runtime.v2.task/<ns>/<id>` (state_dir
/// as given or with its symlinks resolved). Namespace and id must be
/// containerd identifiers ([A-Za-z0-9]+ joined by single '.', '_' or '-', at
/// most 76 characters).
Result<ContainerdBundle> ParseContainerdBundle(const std::string& bundle,
                                               const std::string& state_dir);

/// True for a containerd identifier (namespaces, container ids).
bool IsContainerdIdentifier(const std::string& s);

/// Resolves and cross-checks the identity of the container that `in.bundle`
/// belongs to. Every inconsistency is an error naming the file and what did
/// not match.
Result<ImageIdentity> ResolveContainerd(const ContainerdResolveInput& in);

}  // namespace moat::verify
