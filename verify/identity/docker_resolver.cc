#include "verify/identity/docker_resolver.h"

#include <algorithm>
#include <cstdlib>
#include <map>
#include <memory>
#include <string_view>

#include "base/json.h"
#include "base/json_read.h"
#include "verify/common/reference.h"
#include "verify/identity/docker_manifests.h"
#include "verify/identity/docker_tree.h"

namespace moat::verify {
namespace {

using docker::Tree;

constexpr size_t kMaxContainerConfig = 8u << 20;
constexpr size_t kMaxImageConfig = 16u << 20;
constexpr size_t kMaxRepositories = 64u << 20;
constexpr size_t kMaxIdFile = 256;

/// What config.v2.json says.
struct Container {
  std::string image_id;
  std::string typed;  // Config.Image, "" when absent
};

/// What repositories.json says about all images.
struct Names {
  std::map<std::string, std::string> refs;  // normalised "name:tag" / "name@digest" -> image id
  std::vector<std::string> tags;            // for this image, file order
  std::vector<docker::RepoDigest> digests;  // for this image, file order
};

Result<json::Value> ParseFile(const std::string& text, const std::string& display, size_t max_bytes,
                              bool go_fold) {
  json::Limits limits;
  limits.max_bytes = max_bytes;
  limits.go_fold_keys = go_fold;
  auto v = json::Parse(text, limits);
  if (!v.ok()) return v.error().Wrap(display);
  MOAT_TRY(json::ExpectType(*v, json::Type::kObject, display + ": (top level)"));
  return v;
}

/// The string at a dotted path of objects; nullptr-safe. `missing_ok` gives ""
/// for an absent or null member.
Result<std::string> StringAt(const json::Value& doc, std::initializer_list<std::string_view> path,
                             const std::string& display, bool missing_ok) {
  const json::Value* v = &doc;
  std::string shown;
  for (std::string_view key : path) {
    shown = shown.empty() ? std::string(key) : json::Field(shown, key);
    v = v->is_object() ? v->Find(key) : nullptr;
    if (v == nullptr || v->is_null()) {
      if (missing_ok) return std::string();
      return Error{display + ": " + shown + ": missing"};
    }
  }
  return json::ReadString(*v, display + ": " + shown);
}

/// (a) containers/<id>/config.v2.json.
Result<Container> ReadContainer(const Tree& root, const std::string& cid, ImageIdentity* out) {
  const std::string rel = "containers/" + cid + "/config.v2.json";
  const std::string file = root.Display(rel);
  MOAT_ASSIGN_OR_RETURN(auto text, root.Read(rel, kMaxContainerConfig));
  auto doc = ParseFile(text, file, kMaxContainerConfig, true);  // dockerd decodes it in Go
  if (!doc.ok()) return doc.error();

  MOAT_ASSIGN_OR_RETURN(auto id, StringAt(*doc, {"ID"}, file, false));
  if (id != cid) {
    return Error{file + ": ID: " + json::Quote(id) + " is not the container id " + cid};
  }
  MOAT_ASSIGN_OR_RETURN(auto driver, StringAt(*doc, {"Driver"}, file, false));
  if (driver != "overlay2") {
    return Error{file + ": Driver: storage driver " + json::Quote(driver) +
                 " is not supported (moat resolves overlay2 only)"};
  }
  Container c;
  MOAT_ASSIGN_OR_RETURN(auto image, StringAt(*doc, {"Image"}, file, false));
  if (!IsSha256Digest(image)) {
    return Error{file + ": Image: " + json::Quote(image) + " is not sha256:<hex>"};
  }
  c.image_id = std::move(image);
  MOAT_ASSIGN_OR_RETURN(auto typed, StringAt(*doc, {"Config", "Image"}, file, true));
  c.typed = std::move(typed);
  out->evidence.push_back("image id " + c.image_id + " from " + rel);
  return c;
}

/// (b) layerdb/mounts/<id>: mount-id must be root.path's cacheid; returns
/// the top chainID ("" for an image without layers).
Result<std::string> ReadMount(const Tree& root, const std::string& cid,
                              const std::string& root_path, ImageIdentity* out) {
  const std::string dir = "image/overlay2/layerdb/mounts/" + cid + "/";
  MOAT_ASSIGN_OR_RETURN(auto mount_id, root.Read(dir + "mount-id", kMaxIdFile));
  if (!docker::IsHex64(mount_id)) {
    return Error{root.Display(dir + "mount-id") + ": " + json::Quote(mount_id) +
                 " is not 64 hex digits"};
  }
  const std::string want = root.path() + "/overlay2/" + mount_id + "/merged";
  if (root_path != want) {
    return Error{"config.json: root.path: " + json::Quote(root_path) +
                 " is not the container's overlay2 mount " + json::Quote(want) + " (" +
                 root.Display(dir + "mount-id") + ")"};
  }
  out->evidence.push_back("root.path is overlay2 mount " + mount_id + " of the container (" + dir +
                          "mount-id)");
  auto parent = root.Read(dir + "parent", kMaxIdFile);
  if (!parent.ok()) {
    if (parent.error().err == ENOENT) return std::string();
    return parent.error();
  }
  if (!IsSha256Digest(*parent)) {
    return Error{root.Display(dir + "parent") + ": " + json::Quote(*parent) +
                 " is not sha256:<hex>"};
  }
  return std::move(parent.value());
}

/// (c) imagedb/content/sha256/<hex>: hashes to the image id; its diff_ids
/// chain up to the mount's parent.
/// `top` nullptr: no container, the chain is not compared.
Status CheckImageConfig(const Tree& root, const std::string& image_id, const std::string& cid,
                        const std::string* top, ImageIdentity* out) {
  const std::string rel = "image/overlay2/imagedb/content/sha256/" + image_id.substr(7);
  const std::string file = root.Display(rel);
  MOAT_ASSIGN_OR_RETURN(auto text, root.Read(rel, kMaxImageConfig));
  const std::string actual = docker::Sha256Digest(text);
  if (actual != image_id) {
    return Error{file + ": content hashes to " + actual + ", not to the image id " + image_id};
  }
  out->evidence.push_back("image config " + rel + " hashes to the image id");
  MOAT_ASSIGN_OR_RETURN(auto ids, docker::ConfigDiffIds(text, file));
  const std::vector<std::string>& diff_ids = ids;
  const std::vector<std::string> chain = DockerChainIds(diff_ids);
  const std::string computed = chain.empty() ? "" : chain.back();
  if (top == nullptr) return Status::Ok();
  const std::string parent_file = "image/overlay2/layerdb/mounts/" + cid + "/parent";
  if (computed != *top) {
    return Error{root.Display(parent_file) + ": top layer " + (top->empty() ? "(none)" : *top) +
                 " is not the chainID " + (computed.empty() ? "(none)" : computed) + " of " + file +
                 " rootfs.diff_ids (" + std::to_string(diff_ids.size()) + " layers)"};
  }
  out->evidence.push_back("layer chain matches rootfs.diff_ids (" +
                          std::to_string(diff_ids.size()) + " layers): top chainID " +
                          (top->empty() ? "(none)" : *top) + " = " + parent_file);
  return Status::Ok();
}

/// (d) repositories.json; a missing file means no names at all.
Result<Names> ReadNames(const Tree& root, const std::string& image_id, ImageIdentity* out) {
  const std::string rel = "image/overlay2/repositories.json";
  const std::string file = root.Display(rel);
  Names names;
  auto text = root.Read(rel, kMaxRepositories);
  if (!text.ok()) {
    if (text.error().err != ENOENT) return text.error();
    out->evidence.push_back(rel + " is absent: the image has no names");
    return names;
  }
  // Map keys are exact in Go (tags are case-sensitive): no folding.
  MOAT_ASSIGN_OR_RETURN(auto doc, ParseFile(*text, file, kMaxRepositories, false));
  const json::Value* repos = doc.Find("Repositories");
  if (repos == nullptr || repos->is_null()) return names;
  MOAT_TRY(json::ExpectType(*repos, json::Type::kObject, file + ": Repositories"));
  for (const auto& [repo_key, refs] : repos->members()) {
    const std::string rpath = file + ": Repositories[" + json::Quote(repo_key) + "]";
    auto repo = ParseNormalizedNamed(repo_key);
    if (!repo.ok()) return repo.error().Wrap(rpath);
    MOAT_TRY(json::ExpectType(refs, json::Type::kObject, rpath));
    for (const auto& [ref_key, value] : refs.members()) {
      const std::string path = rpath + "[" + json::Quote(ref_key) + "]";
      auto ref = ParseNormalizedNamed(ref_key);
      if (!ref.ok()) return ref.error().Wrap(path);
      if (ref->Name() != repo->Name()) {
        return Error{path + ": not in repository " + repo->Name() + " (is " + ref->Name() + ")"};
      }
      if (ref->tag.empty() == ref->digest.empty()) {
        return Error{path + ": not exactly one of name:tag and name@digest"};
      }
      MOAT_ASSIGN_OR_RETURN(auto id, json::ReadString(value, path));
      if (!IsSha256Digest(id)) {
        return Error{path + ": " + json::Quote(id) + " is not sha256:<hex>"};
      }
      const std::string norm = ref->String();
      auto [it, inserted] = names.refs.emplace(norm, id);
      if (!inserted) {
        if (it->second != id) {
          return Error{path + ": " + norm + " is recorded twice, for " + it->second + " and " + id};
        }
        continue;
      }
      if (id != image_id) continue;
      if (ref->digest.empty()) {
        names.tags.push_back(norm);
        out->evidence.push_back("tag " + norm + " maps to the image in " + rel);
        continue;
      }
      out->evidence.push_back("repo digest " + norm + " maps to the image in " + rel);
      if (!IsSha256Digest(ref->digest)) {  // dockerd writes sha256 only
        out->evidence.push_back("repo digest " + norm + " is not sha256: not verified");
        continue;
      }
      bool found = false;
      for (docker::RepoDigest& rd : names.digests) {
        if (rd.digest == ref->digest) {
          if (std::find(rd.repositories.begin(), rd.repositories.end(), ref->Name()) ==
              rd.repositories.end()) {
            rd.repositories.push_back(ref->Name());
          }
          found = true;
        }
      }
      if (!found) names.digests.push_back({ref->digest, {ref->Name()}});
    }
  }
  return names;
}

/// The name the container was created by, if it still resolves to the image.
std::string UsedReference(const Container& c, const Names& names, ImageIdentity* out) {
  if (c.typed.empty()) {
    out->evidence.push_back("config.v2.json has no Config.Image: no used reference");
    return "";
  }
  auto ref = ParseNormalizedNamed(c.typed);
  if (!ref.ok()) {
    out->evidence.push_back("Config.Image " + json::Quote(c.typed) +
                            " is not a name (an image id or prefix): no used reference");
    return "";
  }
  Reference r = *ref;
  if (!r.digest.empty()) {
    r.tag.clear();  // dockerd resolves name:tag@digest by the digest alone
  } else if (r.tag.empty()) {
    r.tag = "latest";
  }
  const std::string key = r.String();
  auto it = names.refs.find(key);
  if (it == names.refs.end()) {
    // dockerd falls back to an image id prefix when the name is unknown.
    out->evidence.push_back("Config.Image " + json::Quote(c.typed) + " (" + key +
                            ") is not in repositories.json: no used reference");
    return "";
  }
  if (it->second != c.image_id) {
    out->evidence.push_back("Config.Image " + json::Quote(c.typed) + " (" + key + ") now maps to " +
                            it->second + ", not to the container's image: no used reference");
    return "";
  }
  out->evidence.push_back("used reference " + key + ": Config.Image " + json::Quote(c.typed) +
                          " maps to the image in repositories.json");
  return key;
}

/// The data-root: the configured one with symlinks resolved, or the prefix
/// of root.path, which must then be canonical already.
Result<std::string> DataRoot(const DockerResolveInput& in) {
  if (in.root_path.empty() || in.root_path[0] != '/') {
    return Error{"config.json: root.path: " + json::Quote(in.root_path) +
                 " is not an absolute path"};
  }
  std::string root = in.docker_root;
  if (root.empty()) {
    // <root>/overlay2/<cacheid>/merged
    const std::string_view p = in.root_path;
    constexpr std::string_view kMerged = "/merged";
    size_t cache = std::string_view::npos;
    if (p.size() > kMerged.size() && p.substr(p.size() - kMerged.size()) == kMerged) {
      cache = p.rfind('/', p.size() - kMerged.size() - 1);
    }
    constexpr std::string_view kOverlay = "/overlay2";
    if (cache == std::string_view::npos || cache < kOverlay.size() ||
        p.substr(cache - kOverlay.size(), kOverlay.size()) != kOverlay) {
      return Error{"config.json: root.path: " + json::Quote(in.root_path) +
                   " is not <docker-root>/overlay2/<id>/merged"};
    }
    root = std::string(p.substr(0, cache - kOverlay.size()));
    if (root.empty()) root = "/";
  }
  std::unique_ptr<char, decltype(&std::free)> real(::realpath(root.c_str(), nullptr), &std::free);
  if (!real) return ErrnoError("docker data-root " + root + ": cannot resolve");
  std::string resolved = real.get();
  if (in.docker_root.empty() && resolved != root) {
    return Error{"config.json: root.path: " + json::Quote(in.root_path) + ": data-root " + root +
                 " is not canonical (resolves to " + resolved + ")"};
  }
  return resolved;
}

}  // namespace

std::vector<std::string> DefaultDockerContentStores(const std::string& docker_root) {
  return {docker_root + "/containerd/daemon/io.containerd.content.v1.content",
          "/var/lib/containerd/io.containerd.content.v1.content"};
}

std::vector<std::string> DockerChainIds(const std::vector<std::string>& diff_ids) {
  std::vector<std::string> out;
  for (const std::string& d : diff_ids) {
    out.push_back(out.empty() ? d : docker::Sha256Digest(out.back() + " " + d));
  }
  return out;
}

Result<ImageIdentity> ResolveDocker(const DockerResolveInput& in) {
  if (!docker::IsHex64(in.container_id)) {
    return Error{"container id " + json::Quote(in.container_id) +
                 ": not 64 lower-case hex digits, as "
                 "Docker's are"};
  }
  MOAT_ASSIGN_OR_RETURN(auto data_root, DataRoot(in));
  MOAT_ASSIGN_OR_RETURN(auto root, Tree::Open(data_root, &in.trusted_uid));

  ImageIdentity out;
  out.engine = Engine::kDocker;
  MOAT_ASSIGN_OR_RETURN(auto container, ReadContainer(root, in.container_id, &out));
  out.config_digest = container.image_id;
  auto top = ReadMount(root, in.container_id, in.root_path, &out);
  if (!top.ok()) return top.error();
  MOAT_TRY(CheckImageConfig(root, out.config_digest, in.container_id, &top.value(), &out));
  MOAT_ASSIGN_OR_RETURN(auto names, ReadNames(root, out.config_digest, &out));
  out.tags = names.tags;
  out.used_reference = UsedReference(container, names, &out);
  const std::vector<std::string> stores =
      in.content_stores.empty() ? DefaultDockerContentStores(data_root) : in.content_stores;
  MOAT_TRY(docker::AddManifests(stores, names.digests, &out));
  return out;
}

Result<ImageIdentity> ResolveDockerImage(const DockerResolveInput& in,
                                         const std::string& reference) {
  if (in.docker_root.empty()) return Error{"docker data-root: not configured"};
  std::unique_ptr<char, decltype(&std::free)> real(::realpath(in.docker_root.c_str(), nullptr),
                                                   &std::free);
  if (!real) return ErrnoError("docker data-root " + in.docker_root + ": cannot resolve");
  const std::string data_root = real.get();
  MOAT_ASSIGN_OR_RETURN(auto root, Tree::Open(data_root, &in.trusted_uid));

  ImageIdentity out;
  out.engine = Engine::kDocker;
  std::string used;
  if (IsSha256Digest(reference)) {
    out.config_digest = reference;
    out.evidence.push_back("image id " + reference + " as given");
  } else {
    auto ref = ParseNormalizedNamed(reference);
    if (!ref.ok()) return ref.error().Wrap(json::Quote(reference));
    Reference r = *ref;
    if (!r.digest.empty()) {
      r.tag.clear();
    } else if (r.tag.empty()) {
      r.tag = "latest";
    }
    used = r.String();
    MOAT_ASSIGN_OR_RETURN(auto all, ReadNames(root, "", &out));
    auto it = all.refs.find(used);
    if (it == all.refs.end()) {
      return Error{used + ": not in " + root.Display("image/overlay2/repositories.json")};
    }
    out.config_digest = it->second;
    out.evidence.clear();
    out.evidence.push_back(used + " maps to image " + out.config_digest +
                           " in image/overlay2/repositories.json");
  }
  MOAT_TRY(CheckImageConfig(root, out.config_digest, "", nullptr, &out));
  MOAT_ASSIGN_OR_RETURN(auto names, ReadNames(root, out.config_digest, &out));
  out.tags = names.tags;
  out.used_reference = used;
  const std::vector<std::string> stores =
      in.content_stores.empty() ? DefaultDockerContentStores(data_root) : in.content_stores;
  MOAT_TRY(docker::AddManifests(stores, names.digests, &out));
  return out;
}

}  // namespace moat::verify
