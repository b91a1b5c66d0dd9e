#include "verify/identity/podman_resolver.h"

#include <algorithm>
#include <cstdlib>
#include <memory>

#include "base/json.h"
#include "verify/common/reference.h"
#include "verify/identity/docker_manifests.h"
#include "verify/identity/docker_tree.h"
#include "verify/identity/podman_storage.h"

namespace moat::verify {
namespace {

using docker::Blob;
using docker::Doc;
using docker::Kind;
using docker::Tree;
using podman::ImageRecord;
using podman::Layer;

/// The graph root's spellings podman may use in paths: as configured
/// (without trailing slashes) and with its symlinks resolved; [0] resolved.
Result<std::vector<std::string>> RootNames(const std::string& configured) {
  std::unique_ptr<char, decltype(&std::free)> real(::realpath(configured.c_str(), nullptr),
                                                   &std::free);
  if (!real) return ErrnoError("containers-storage graph root " + configured + ": cannot resolve");
  std::vector<std::string> names = {real.get()};
  std::string trimmed = configured;
  while (trimmed.size() > 1 && trimmed.back() == '/') trimmed.pop_back();
  if (trimmed != names[0]) names.push_back(trimmed);
  return names;
}

std::string BundleUnder(const std::string& root, const std::string& id) {
  return root + "/overlay-containers/" + id + "/userdata";
}

/// The bundle is podman's for this id, with no symlink below the graph root.
Status CheckBundle(const PodmanResolveInput& in, const std::vector<std::string>& roots) {
  if (std::none_of(roots.begin(), roots.end(), [&](const std::string& r) {
        return in.bundle == BundleUnder(r, in.container_id);
      })) {
    return Error{"bundle " + json::Quote(in.bundle) + " is not " +
                 BundleUnder(roots.back(), in.container_id)};
  }
  std::unique_ptr<char, decltype(&std::free)> real(::realpath(in.bundle.c_str(), nullptr),
                                                   &std::free);
  if (!real) return ErrnoError("bundle " + in.bundle + ": cannot resolve");
  const std::string want = BundleUnder(roots[0], in.container_id);
  if (want != real.get()) {
    return Error{"bundle " + in.bundle + " resolves to " + real.get() + ", not " + want};
  }
  return Status::Ok();
}

/// The image config (big-data item "sha256:<id>"): hashes to the image id; its
/// rootfs.diff_ids are the layers below the container layer, by layer id and
/// by the diff digest layers.json records.
Status CheckConfig(const Tree& root, const ImageRecord& img, const std::vector<Layer>& chain,
                   ImageIdentity* out) {
  const std::string key = "sha256:" + img.id;
  if (std::find(img.big_data_names.begin(), img.big_data_names.end(), key) ==
      img.big_data_names.end()) {
    return Error{root.Display("overlay-images/images.json") + ": image " + img.id +
                 ": big-data-names: no " + key + " (the image config)"};
  }
  const std::string rel = podman::BigDataPath(img.id, key);
  MOAT_ASSIGN_OR_RETURN(auto bytes, root.Read(rel, docker::kMaxImageConfig));
  const std::string actual = docker::Sha256Digest(bytes);
  if (actual != key) {
    return Error{root.Display(rel) + ": content hashes to " + actual + ", not to the image id " +
                 key};
  }
  MOAT_ASSIGN_OR_RETURN(auto diff_ids, docker::ConfigDiffIds(bytes, root.Display(rel)));
  const std::vector<std::string> ids = podman::LayerIds(diff_ids);
  const size_t layers = chain.size() - 1;  // chain[0] is the container's own
  const std::string file = root.Display("overlay-layers/layers.json");
  if (ids.size() != layers) {
    return Error{file + ": the container layer has " + std::to_string(layers) +
                 " parent layers, but " + root.Display(rel) + " rootfs.diff_ids lists " +
                 std::to_string(ids.size())};
  }
  for (size_t i = 0; i < layers; ++i) {
    const Layer& l = chain[layers - i];  // bottom first
    const std::string& diff = diff_ids[i];
    if (l.id != ids[i]) {
      return Error{file + ": layer " + std::to_string(i) + " of the image is " + l.id +
                   ", not the id " + ids[i] + " that " + json::Index("rootfs.diff_ids", i) + " " +
                   diff + " gives"};
    }
    if (l.diff_digest != diff) {
      return Error{file + ": layer " + l.id + ": diff-digest " + json::Quote(l.diff_digest) +
                   " is not " + json::Index("rootfs.diff_ids", i) + " " + diff};
    }
  }
  out->evidence.push_back("image config (big-data item \"" + key +
                          "\") hashes to the image id; its " + std::to_string(layers) +
                          " rootfs.diff_ids are the container layer's parents by layer id and by "
                          "layers.json diff-digest (top " +
                          chain[1].id + ")");
  return Status::Ok();
}

/// A manifest, list or index stored as one of the image's big-data items.
struct Stored {
  std::string key;
  Blob blob;
  Doc doc;
};

/// The items "manifest-<digest>" and "manifest" (a copy of one of them for
/// older readers), each hashing to its digest, parsed; each digest once.
Result<std::vector<Stored>> ReadManifests(const Tree& root, const ImageRecord& img,
                                          ImageIdentity* out) {
  std::vector<Stored> stored;
  auto have = [&](const std::string& digest) {
    return std::any_of(stored.begin(), stored.end(),
                       [&](const Stored& s) { return s.blob.digest == digest; });
  };
  for (const std::string& key : img.big_data_names) {
    const auto rec = img.big_data_digests.find(key);
    const std::string recorded = rec == img.big_data_digests.end() ? "" : rec->second;
    std::string want;
    if (key.rfind("manifest-", 0) == 0) {
      want = key.substr(9);
      if (!IsSha256Digest(want)) {
        out->evidence.push_back("big-data item " + json::Quote(key) +
                                " is not named by a sha256 digest: not verified");
        continue;
      }
    } else if (key != "manifest") {
      continue;
    }
    const std::string rel = podman::BigDataPath(img.id, key);
    auto bytes = root.Read(rel, docker::kMaxManifest);
    if (!bytes.ok()) return bytes.error();
    const std::string actual = docker::Sha256Digest(*bytes);
    if (!want.empty() && actual != want) {
      return Error{root.Display(rel) + ": content hashes to " + actual + ", not to " + want +
                   " (big-data item " + json::Quote(key) + ")"};
    }
    if (!recorded.empty() && recorded != actual) {
      return Error{root.Display("overlay-images/images.json") + ": image " + img.id +
                   ": big-data-digests[" + json::Quote(key) + "]: " + recorded +
                   ", but the item hashes to " + actual};
    }
    if (have(actual)) continue;
    Blob b{actual, std::move(bytes.value()), root.Display(rel), key};
    auto doc = docker::Classify(b);
    if (!doc.ok()) return doc.error();
    stored.push_back(Stored{key, std::move(b), std::move(doc.value())});
  }
  return stored;
}

/// The image's manifests that name its config, then the lists / indexes
/// that select one of them; all under `repos`, as podman's RepoDigests pair
/// every name's repository with every manifest digest.
Status AddManifests(const Tree& root, const ImageRecord& img, const std::vector<std::string>& repos,
                    ImageIdentity* out) {
  MOAT_ASSIGN_OR_RETURN(auto stored, ReadManifests(root, img, out));
  for (const Stored& s : stored) {
    if (s.doc.kind == Kind::kSchema1) {
      out->evidence.push_back("manifest " + s.blob.digest +
                              " is schema 1, which names no image config: not verified");
    }
    if (s.doc.kind != Kind::kManifest) continue;
    MOAT_ASSIGN_OR_RETURN(auto config, docker::ConfigDigest(s.doc, s.blob.path));
    if (config != out->config_digest) {
      return Error{s.blob.path + ": config.digest " + config + " is not the image id " +
                   out->config_digest};
    }
    out->manifests.push_back(
        VerifiedManifest{s.blob.digest, s.blob.bytes, repos, s.doc.media_type, {}});
    out->evidence.push_back("manifest " + s.blob.digest + " (" + s.doc.media_type +
                            ", big-data item " + json::Quote(s.key) +
                            ") hashes to its digest, config digest matches");
  }
  const size_t manifests = out->manifests.size();
  for (const Stored& s : stored) {
    if (s.doc.kind != Kind::kIndex) continue;
    MOAT_ASSIGN_OR_RETURN(auto entries, docker::IndexEntries(s.doc, s.blob.path));
    std::string selected;
    for (const docker::Entry& e : entries) {
      auto m = std::find_if(out->manifests.begin(), out->manifests.begin() + manifests,
                            [&](const VerifiedManifest& v) { return v.digest == e.digest; });
      if (m == out->manifests.begin() + manifests) continue;
      if (std::find(m->via_index.begin(), m->via_index.end(), s.blob.digest) ==
          m->via_index.end()) {
        m->via_index.push_back(s.blob.digest);
      }
      selected += (selected.empty() ? "" : ", ") + e.digest + " (" +
                  (e.platform.empty() ? "no platform" : e.platform) + ")";
    }
    if (selected.empty()) {
      out->evidence.push_back("manifest list " + s.blob.digest + " (big-data item " +
                              json::Quote(s.key) + ") selects none of the image's manifests (" +
                              std::to_string(entries.size()) + " entries): not verified");
      continue;
    }
    out->manifests.push_back(
        VerifiedManifest{s.blob.digest, s.blob.bytes, repos, s.doc.media_type, {}});
    out->evidence.push_back("manifest list " + s.blob.digest + " (" + s.doc.media_type +
                            ", big-data item " + json::Quote(s.key) +
                            ") hashes to its digest; it selects " + selected);
  }
  return Status::Ok();
}

/// What images.json names the image, normalised.
struct Names {
  std::vector<std::string> all;    // every name, "repo:tag" or "repo@digest"
  std::vector<std::string> tags;   // "repo:tag" only
  std::vector<std::string> repos;  // their repositories
};

void AddUnique(std::vector<std::string>* to, const std::string& s) {
  if (std::find(to->begin(), to->end(), s) == to->end()) to->push_back(s);
}

Names ReadNames(const ImageRecord& img, ImageIdentity* out) {
  Names n;
  for (const std::string& name : img.names) {
    auto ref = ParseNormalizedNamed(name);
    if (!ref.ok()) {
      out->evidence.push_back("image name " + json::Quote(name) + " is not a reference: ignored");
      continue;
    }
    Reference r = *ref;
    if (!r.digest.empty()) r.tag.clear();  // name:tag@digest resolves by the digest
    AddUnique(&n.all, r.String());
    AddUnique(&n.repos, r.Name());
    if (r.digest.empty() && !r.tag.empty()) AddUnique(&n.tags, r.String());
  }
  std::string shown;
  for (const std::string& s : n.all) shown += (shown.empty() ? "" : ", ") + s;
  out->evidence.push_back("images.json names the image " + (shown.empty() ? "(nothing)" : shown));
  return n;
}

/// libpod's image-name, if it still names the image.
std::string UsedReference(const std::string& image_name, const Names& names, ImageIdentity* out) {
  if (image_name.empty()) {
    out->evidence.push_back("containers.json metadata has no image-name: no used reference");
    return "";
  }
  auto ref = ParseNormalizedNamed(image_name);
  if (!ref.ok()) {
    out->evidence.push_back("image-name " + json::Quote(image_name) +
                            " is not a reference: no used reference");
    return "";
  }
  Reference r = *ref;
  if (!r.digest.empty()) {
    r.tag.clear();
  } else if (r.tag.empty()) {
    r.tag = "latest";
  }
  const std::string key = r.String();
  if (std::find(names.all.begin(), names.all.end(), key) == names.all.end()) {
    out->evidence.push_back("image-name " + json::Quote(image_name) +
                            " no longer names the image in images.json: no used reference");
    return "";
  }
  out->evidence.push_back("used reference " + key +
                          ": the container's image-name in containers.json, a name of the image");
  return key;
}

}  // namespace

bool IsPodmanBundle(const std::string& bundle, const std::string& id,
                    const std::string& podman_root) {
  auto roots = RootNames(podman_root);
  if (!roots.ok()) return false;
  return std::any_of(roots->begin(), roots->end(),
                     [&](const std::string& r) { return bundle == BundleUnder(r, id); });
}

Result<ImageIdentity> ResolvePodman(const PodmanResolveInput& in) {
  if (!docker::IsHex64(in.container_id)) {
    return Error{"container id " + json::Quote(in.container_id) +
                 ": not 64 lower-case hex digits, as podman's are"};
  }
  MOAT_ASSIGN_OR_RETURN(auto roots, RootNames(in.podman_root));
  MOAT_TRY(CheckBundle(in, roots));
  MOAT_ASSIGN_OR_RETURN(auto root, Tree::Open(roots[0], &in.trusted_uid));

  ImageIdentity out;
  out.engine = Engine::kPodman;
  MOAT_ASSIGN_OR_RETURN(auto ctr, podman::ReadContainer(root, in.container_id));
  if (ctr.image.empty()) {
    return Error{"container " + in.container_id +
                 " has no image in overlay-containers/containers.json (podman run --rootfs): no "
                 "image identity"};
  }
  out.evidence.push_back("container " + in.container_id + ": image " + ctr.image + ", layer " +
                         ctr.layer + " (overlay-containers/containers.json)");
  if (std::none_of(roots.begin(), roots.end(), [&](const std::string& r) {
        return in.root_path == r + "/overlay/" + ctr.layer + "/merged";
      })) {
    return Error{"config.json: root.path: " + json::Quote(in.root_path) +
                 " is not the container layer's " + roots[0] + "/overlay/" + ctr.layer + "/merged"};
  }
  MOAT_ASSIGN_OR_RETURN(auto chain, podman::ReadLayerChain(root, ctr.layer));
  MOAT_ASSIGN_OR_RETURN(auto img, podman::ReadImage(root, ctr.image));
  const std::string parent = chain.size() > 1 ? chain[1].id : "";
  if (parent.empty() || parent != img.top_layer) {
    return Error{root.Display("overlay-layers/layers.json") + ": layer " + ctr.layer + ": parent " +
                 (parent.empty() ? "(none)" : parent) + " is not the top layer " +
                 (img.top_layer.empty() ? "(none)" : img.top_layer) + " of image " + img.id +
                 " (overlay-images/images.json)"};
  }
  out.config_digest = "sha256:" + img.id;
  MOAT_TRY(CheckConfig(root, img, chain, &out));
  // The kernel lists mount points with symlinks resolved.
  const std::string merged = roots[0] + "/overlay/" + ctr.layer + "/merged";
  MOAT_TRY(podman::CheckOverlayMount(root, roots, chain, in.mountinfo, merged, &out));
  const Names names = ReadNames(img, &out);
  out.tags = names.tags;
  MOAT_TRY(AddManifests(root, img, names.repos, &out));
  out.used_reference = UsedReference(ctr.image_name, names, &out);
  return out;
}

}  // namespace moat::verify
