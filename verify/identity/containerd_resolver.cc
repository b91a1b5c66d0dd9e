#include "verify/identity/containerd_resolver.h"

#include <algorithm>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <string_view>

#include "base/json.h"
#include "base/json_read.h"
#include "verify/common/reference.h"
#include "verify/identity/containerd_state.h"
#include "verify/identity/docker_manifests.h"
#include "verify/identity/docker_resolver.h"
#include "verify/identity/docker_tree.h"

namespace moat::verify {
namespace {

using containerd::ImageRecord;
using containerd::MetaFacts;
using docker::Blob;
using docker::Doc;
using docker::Kind;
using docker::Tree;

constexpr char kTaskDir[] = "io.containerd.runtime.v2.task";
constexpr char kContentDir[] = "io.containerd.content.v1.content";

constexpr std::string_view kManifestTypes[] = {
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.oci.image.manifest.v1+json"};
constexpr std::string_view kIndexTypes[] = {
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.index.v1+json"};

template <size_t N>
bool OneOf(std::string_view s, const std::string_view (&set)[N]) {
  return std::find(std::begin(set), std::end(set), s) != std::end(set);
}

Result<std::string> RealPath(const std::string& path, const std::string& what) {
  std::unique_ptr<char, decltype(&std::free)> real(::realpath(path.c_str(), nullptr), &std::free);
  if (!real) return ErrnoError(what + " " + path + ": cannot resolve");
  return std::string(real.get());
}

/// containerd's content store, below its root: blobs checked by hash.
class Content {
 public:
  explicit Content(Tree t) : tree_(std::move(t)) {}

  /// The blob named `digest`, checked; nullopt when the store lacks it.
  Result<std::optional<Blob>> Find(const std::string& digest, size_t max_bytes) const {
    if (!IsSha256Digest(digest)) {
      return Error{"digest " + json::Quote(digest) + " is not sha256:<hex>"};
    }
    const std::string rel = "blobs/sha256/" + digest.substr(7);
    auto bytes = tree_.Read(rel, max_bytes);
    if (!bytes.ok()) {
      if (bytes.error().err == ENOENT) return std::optional<Blob>();
      return bytes.error();
    }
    const std::string actual = docker::Sha256Digest(*bytes);
    if (actual != digest) {
      return Error{tree_.Display(rel) + ": content hashes to " + actual + ", not to its name"};
    }
    return std::optional<Blob>(
        Blob{digest, std::move(bytes.value()), tree_.Display(rel), tree_.path()});
  }

  std::string Display(const std::string& digest) const {
    return tree_.Display("blobs/sha256/" + digest.substr(std::min<size_t>(7, digest.size())));
  }

 private:
  Tree tree_;
};

/// A per-platform manifest an image record's target leads to.
struct Candidate {
  Blob manifest;
  std::string media_type;
  std::string config;
  std::string platform;  // from the index entry; "" when none
};

/// What one image record's target resolves to.
struct Target {
  std::optional<Blob> index;  // when the target is a list / index
  std::string index_media_type;
  std::vector<Candidate> manifests;
  size_t absent = 0;   // index entries whose manifests were never fetched
  size_t skipped = 0;  // index entries that are not image manifests
};

Result<Candidate> ReadManifest(Blob blob, const Doc& doc) {
  auto config = docker::ConfigDigest(doc, blob.path);
  if (!config.ok()) return config.error();
  return Candidate{std::move(blob), doc.media_type, std::move(config.value()), ""};
}

/// Errors name the target, not the record (records may share a target).
Result<Target> ResolveTarget(const Content& cs, const ImageRecord& r) {
  if (r.digest.empty()) return Error{"target: no digest recorded"};
  const std::string what = "target " + r.digest;
  const bool manifest_type = OneOf(r.media_type, kManifestTypes);
  if (!manifest_type && !OneOf(r.media_type, kIndexTypes)) {
    return Error{what + ": media type " + json::Quote(r.media_type) +
                 " is not an image manifest, manifest list or OCI index"};
  }
  MOAT_ASSIGN_OR_RETURN(auto blob, cs.Find(r.digest, docker::kMaxManifest));
  if (!blob.has_value()) {
    return Error{what + " is not in the content store (" + cs.Display(r.digest) + ")", ENOENT};
  }
  MOAT_ASSIGN_OR_RETURN(auto doc, docker::Classify(*blob));
  const Kind want = manifest_type ? Kind::kManifest : Kind::kIndex;
  if (doc.kind != want) {
    return Error{blob->path + ": recorded as " + r.media_type + ", but the blob is a " +
                 (doc.kind == Kind::kSchema1 ? std::string("schema 1 manifest") : doc.media_type)};
  }
  Target t;
  if (want == Kind::kManifest) {
    auto c = ReadManifest(std::move(*blob), doc);
    if (!c.ok()) return c.error();
    t.manifests.push_back(std::move(c.value()));
    return t;
  }
  MOAT_ASSIGN_OR_RETURN(auto entries, docker::IndexEntries(doc, blob->path));
  std::vector<std::string> seen;
  for (const docker::Entry& e : entries) {
    if (std::find(seen.begin(), seen.end(), e.digest) != seen.end()) continue;
    seen.push_back(e.digest);
    MOAT_ASSIGN_OR_RETURN(auto child, cs.Find(e.digest, docker::kMaxManifest));
    if (!child.has_value()) {
      ++t.absent;  // another platform's, never fetched
      continue;
    }
    MOAT_ASSIGN_OR_RETURN(auto cdoc, docker::Classify(*child));
    if (cdoc.kind != Kind::kManifest) {
      ++t.skipped;
      continue;
    }
    auto c = ReadManifest(std::move(*child), cdoc);
    if (!c.ok()) return c.error();
    c->platform = e.platform;
    t.manifests.push_back(std::move(c.value()));
  }
  t.index = std::move(*blob);
  t.index_media_type = doc.media_type;
  return t;
}

/// The chainIDs of an image config's rootfs.diff_ids, top layer first.
Result<std::vector<std::string>> ConfigChain(const Content& cs, const std::string& config) {
  MOAT_ASSIGN_OR_RETURN(auto blob, cs.Find(config, docker::kMaxImageConfig));
  if (!blob.has_value()) {
    return Error{
        "image config " + config + " is not in the content store (" + cs.Display(config) + ")",
        ENOENT};
  }
  MOAT_ASSIGN_OR_RETURN(auto diff_ids, docker::ConfigDiffIds(blob->bytes, blob->path));
  std::vector<std::string> chain = DockerChainIds(diff_ids);  // containerd's identity.ChainIDs
  std::reverse(chain.begin(), chain.end());
  return chain;
}

/// The layer snapshot keys of the container's chain, top first.
std::vector<std::string> LayerKeys(const MetaFacts& f) {
  std::vector<std::string> keys;
  for (size_t i = 1; i < f.chain.size(); ++i) keys.push_back(f.chain[i].key);
  return keys;
}

/// The one config among the container image's manifests whose layers are
/// the container snapshot's parents.
Result<std::string> MatchConfig(const Content& cs, const Target& t, const MetaFacts& f,
                                ImageIdentity* out) {
  const std::vector<std::string> keys = LayerKeys(f);
  std::vector<std::string> tried;
  std::string match;
  for (const Candidate& c : t.manifests) {
    if (std::find(tried.begin(), tried.end(), c.config) != tried.end()) continue;
    tried.push_back(c.config);
    MOAT_ASSIGN_OR_RETURN(auto chain, ConfigChain(cs, c.config));
    if (chain != keys) continue;
    if (!match.empty()) {
      return Error{"image " + json::Quote(f.image) + ": configs " + match + " and " + c.config +
                   " both have the container's layers: ambiguous"};
    }
    match = c.config;
  }
  if (match.empty()) {
    return Error{"image " + json::Quote(f.image) + " resolves to " + std::to_string(tried.size()) +
                 " image config(s), none with the container snapshot's " +
                 std::to_string(keys.size()) + " layers (top " +
                 (keys.empty() ? "(none)" : keys[0]) +
                 "): the name was retagged after the container was created, or the snapshot is "
                 "not this image's"};
  }
  out->evidence.push_back("image config " + match + " (in " + kContentDir +
                          ") hashes to its name; its rootfs.diff_ids give chainIDs equal to the "
                          "container snapshot's " +
                          std::to_string(keys.size()) + " parent snapshots (top " +
                          (keys.empty() ? "(none)" : keys[0]) + ")");
  return match;
}

void AddManifest(ImageIdentity* id, const Blob& b, const std::string& media_type,
                 const std::string& repo, const std::string& via) {
  auto it = std::find_if(id->manifests.begin(), id->manifests.end(),
                         [&](const VerifiedManifest& m) { return m.digest == b.digest; });
  if (it == id->manifests.end()) {
    id->manifests.push_back(VerifiedManifest{b.digest, b.bytes, {}, media_type, {}});
    it = id->manifests.end() - 1;
  }
  if (!repo.empty() &&
      std::find(it->repositories.begin(), it->repositories.end(), repo) == it->repositories.end()) {
    it->repositories.push_back(repo);
  }
  if (!via.empty() &&
      std::find(it->via_index.begin(), it->via_index.end(), via) == it->via_index.end()) {
    it->via_index.push_back(via);
  }
}

/// Adds what image record `r` (resolved to `t`) says about the image
/// (out->config_digest): its manifests, its repository, its tag.
/// A record's name as a reference. CRI also records each image under its id,
/// "sha256:<hex>", which would otherwise parse as repository "sha256".
Result<Reference> NameOf(const std::string& name) {
  if (IsSha256Digest(name)) return Error{"an image id, not a name"};
  return ParseNormalizedNamed(name);
}

void AddRecord(const ImageRecord& r, const Target& t, ImageIdentity* out) {
  auto ref = NameOf(r.name);
  const std::string repo = ref.ok() ? ref->Name() : "";
  bool maps = false;
  for (const Candidate& c : t.manifests) {
    if (c.config != out->config_digest) continue;
    maps = true;
    const std::string via = t.index.has_value() ? t.index->digest : "";
    if (t.index.has_value()) AddManifest(out, *t.index, t.index_media_type, repo, "");
    AddManifest(out, c.manifest, c.media_type, repo, via);
    out->evidence.push_back(
        "image " + json::Quote(r.name) + ": " +
        (t.index.has_value() ? "index " + t.index->digest + " (" + t.index_media_type +
                                   "), its entry " + c.manifest.digest + " (" +
                                   (c.platform.empty() ? "no platform" : c.platform) + ")"
                             : "manifest " + c.manifest.digest + " (" + c.media_type + ")") +
        " found in the content store, hashes to its name, config digest matches");
  }
  if (!maps) return;
  if (t.absent + t.skipped > 0) {
    out->evidence.push_back("image " + json::Quote(r.name) + ": " + std::to_string(t.absent) +
                            " other index entries are not in the content store, " +
                            std::to_string(t.skipped) + " are not image manifests");
  }
  if (!ref.ok()) {
    out->evidence.push_back("image name " + json::Quote(r.name) + " is not a reference: no tag");
  } else if (!ref->tag.empty() && ref->digest.empty()) {
    if (std::find(out->tags.begin(), out->tags.end(), ref->String()) == out->tags.end()) {
      out->tags.push_back(ref->String());
    }
  }
}

std::string UsedReference(const std::string& name, ImageIdentity* out) {
  auto ref = NameOf(name);
  if (!ref.ok()) {
    out->evidence.push_back("container image name " + json::Quote(name) +
                            " is not a reference: no used reference");
    return "";
  }
  Reference r = *ref;
  if (!r.digest.empty()) r.tag.clear();  // name:tag@digest resolves by the digest
  out->evidence.push_back("used reference " + r.String() + ": the container's image name " +
                          json::Quote(name) + " resolves to the image");
  return r.String();
}

}  // namespace

bool IsContainerdIdentifier(const std::string& s) {
  // containerd's identifiers.Validate: ^[A-Za-z0-9]+(?:[._-](?:[A-Za-z0-9]+))*$, <= 76.
  if (s.empty() || s.size() > 76) return false;
  bool prev_sep = true;  // no separator first
  for (char c : s) {
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (alnum) {
      prev_sep = false;
    } else if ((c == '.' || c == '_' || c == '-') && !prev_sep) {
      prev_sep = true;
    } else {
      return false;
    }
  }
  return !prev_sep;
}

Result<ContainerdBundle> ParseContainerdBundle(const std::string& bundle,
                                               const std::string& state_dir) {
  const std::string what = "bundle " + json::Quote(bundle);
  const std::string mid = std::string("/") + kTaskDir + "/";
  std::vector<std::string> prefixes = {state_dir};
  if (auto real = RealPath(state_dir, "containerd state dir"); real.ok() && *real != state_dir) {
    prefixes.push_back(*real);
  }
  for (const std::string& p : prefixes) {
    const std::string head = (p == "/" ? "" : p) + mid;
    if (bundle.compare(0, head.size(), head) != 0) continue;
    const std::string rest = bundle.substr(head.size());
    const size_t slash = rest.find('/');
    if (slash == std::string::npos) break;
    ContainerdBundle b{rest.substr(0, slash), rest.substr(slash + 1)};
    if (!IsContainerdIdentifier(b.ns)) {
      return Error{what + ": namespace " + json::Quote(b.ns) + " is not a containerd identifier"};
    }
    if (!IsContainerdIdentifier(b.id)) {
      return Error{what + ": container id " + json::Quote(b.id) +
                   " is not a containerd identifier"};
    }
    return b;
  }
  return Error{what + " is not " + state_dir + mid + "<namespace>/<id>"};
}

Result<ImageIdentity> ResolveContainerd(const ContainerdResolveInput& in) {
  MOAT_ASSIGN_OR_RETURN(auto bundle, ParseContainerdBundle(in.bundle, in.state_dir));
  if (bundle.id != in.container_id) {
    return Error{"container id " + json::Quote(in.container_id) + " is not the bundle's id " +
                 json::Quote(bundle.id) + " (" + in.bundle + ")"};
  }
  // No symlink below the state dir: the bundle is where containerd made it.
  MOAT_ASSIGN_OR_RETURN(auto state, RealPath(in.state_dir, "containerd state dir"));
  MOAT_ASSIGN_OR_RETURN(auto real_bundle, RealPath(in.bundle, "bundle"));
  const std::string want_bundle = state + "/" + kTaskDir + "/" + bundle.ns + "/" + bundle.id;
  if (real_bundle != want_bundle) {
    return Error{"bundle " + in.bundle + " resolves to " + real_bundle + ", not " + want_bundle};
  }
  if (in.root_path != "rootfs" && in.root_path != in.bundle + "/rootfs") {
    return Error{"config.json: root.path: " + json::Quote(in.root_path) +
                 " is not the bundle's \"rootfs\""};
  }

  ImageIdentity out;
  out.engine = Engine::kContainerd;
  MOAT_ASSIGN_OR_RETURN(auto root_dir, RealPath(in.containerd_root, "containerd root"));
  MOAT_ASSIGN_OR_RETURN(auto root, Tree::Open(root_dir, &in.trusted_uid));
  MOAT_ASSIGN_OR_RETURN(auto facts, containerd::ReadMetadata(root, bundle.ns, bundle.id, &out));

  auto store = Tree::Open(root_dir + "/" + kContentDir, nullptr);  // hashes are the check
  if (!store.ok()) return store.error();
  const Content cs(std::move(store.value()));
  auto own = std::find_if(facts.images.begin(), facts.images.end(),
                          [&](const ImageRecord& r) { return r.name == facts.image; });
  if (own == facts.images.end()) {
    return Error{"image " + json::Quote(facts.image) + " of container " + bundle.ns + "/" +
                 bundle.id + " is no longer in the namespace's images (deleted since)"};
  }
  auto target = ResolveTarget(cs, *own);
  if (!target.ok()) return target.error().Wrap("image " + json::Quote(own->name));
  MOAT_ASSIGN_OR_RETURN(out.config_digest, MatchConfig(cs, *target, facts, &out));

  std::vector<std::string> root_names = {root_dir};
  std::string configured = in.containerd_root;
  while (configured.size() > 1 && configured.back() == '/') configured.pop_back();
  if (configured != root_dir) root_names.push_back(configured);
  MOAT_TRY(containerd::CheckRootfsMount(root, root_names, facts.chain, in.mountinfo,
                                        real_bundle + "/rootfs", &out));

  AddRecord(*own, *target, &out);  // its manifests first
  // Names often share a target (CRI records name:tag, name@digest and the id).
  std::map<std::pair<std::string, std::string>, Result<Target>> targets;
  targets.emplace(std::pair{own->digest, own->media_type}, std::move(target.value()));
  for (const ImageRecord& r : facts.images) {
    if (&r == &*own) continue;
    const std::pair key{r.digest, r.media_type};
    auto it = targets.find(key);
    if (it == targets.end()) it = targets.emplace(key, ResolveTarget(cs, r)).first;
    if (!it->second.ok()) {
      out.evidence.push_back("image " + json::Quote(r.name) + ": " + it->second.error().Describe() +
                             ": not considered");
      continue;
    }
    AddRecord(r, *it->second, &out);
  }
  out.used_reference = UsedReference(facts.image, &out);
  return out;
}

}  // namespace moat::verify
