// Reading containers-storage (the store podman, buildah, skopeo and CRI-O
// share) for the podman resolver: its JSON records of containers, layers and
// images, an image's "big data" items, and the overlay driver's layer
// directories against the container's rootfs mount. Observed with podman
// 4.3.1 (containers/storage 1.43, containers/image 5.23) on Debian 12; see
// podman_resolver.h for the layout. Internal to verify/ (podman_resolver.cc).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "base/status.h"
#include "verify/identity/docker_tree.h"
#include "verify/identity/identity.h"

namespace moat::verify::podman {

/// overlay-containers/containers.json's record of one container.
struct ContainerRecord {
  std::string image;  // image id, 64 hex; "" for `podman run --rootfs DIR`
  std::string layer;  // the container's own read-write layer, 64 hex
  /// libpod's metadata "image-name": the name the image was resolved by (for a
  /// container created by image id, the image's first name); "" when absent.
  std::string image_name;
};

/// One overlay-layers/layers.json record.
struct Layer {
  std::string id;
  std::string parent;       // "" for a base layer
  std::string diff_digest;  // "sha256:<hex>" of the uncompressed tar; "" when none
};

/// One overlay-images/images.json record.
struct ImageRecord {
  std::string id;
  std::string top_layer;
  std::vector<std::string> names;           // as stored: "registry/repo:tag", "repo@sha256:..."
  std::vector<std::string> big_data_names;  // keys, in file order
  std::map<std::string, std::string> big_data_digests;
};

/// The container `id`'s record; an error when containers.json lacks it, holds
/// it twice, or a field is malformed (libpod's metadata included).
Result<ContainerRecord> ReadContainer(const docker::Tree& root, const std::string& id);

/// The layer `layer` and its ancestors from layers.json: [0] is `layer`, the
/// last a base layer. A missing parent, a cycle or a chain longer than a
/// limit is an error.
Result<std::vector<Layer>> ReadLayerChain(const docker::Tree& root, const std::string& layer);

/// The image `id`'s record from images.json.
Result<ImageRecord> ReadImage(const docker::Tree& root, const std::string& id);

/// Where containers/storage keeps an image's big-data item `key`, below the
/// graph root: "overlay-images/<id>/" + the key itself when it is made of
/// [.0-9a-z] only, else "=" + base64(key) (makeBigDataBaseName).
std::string BigDataPath(const std::string& image_id, const std::string& key);

/// containers/image's layer ids for an image's diff ids, bottom first:
/// id(0) = hex(diffID(0)), id(n) = hex(sha256(id(n-1) + "+" + hex(diffID(n)))).
std::vector<std::string> LayerIds(const std::vector<std::string>& diff_ids);

/// Checks that what is mounted at `mount_point` (per `mountinfo`) is the
/// overlay driver's mount of `chain` (ReadLayerChain, at least one image
/// layer): upperdir `overlay/<chain[0]>/diff`, lowerdirs `overlay/l/<link>`
/// of chain[1], chain[2], ..., each <link> read from `overlay/<layer>/link`;
/// absolute under one of `root_names` (spellings of the graph root) or, as
/// the driver mounts long option strings, relative to `overlay/`.
Status CheckOverlayMount(const docker::Tree& root, const std::vector<std::string>& root_names,
                         const std::vector<Layer>& chain, const std::string& mountinfo,
                         const std::string& mount_point, ImageIdentity* out);

}  // namespace moat::verify::podman
