#include "verify/identity/docker_manifests.h"

#include <algorithm>
#include <optional>
#include <string_view>

#include "base/json.h"
#include "base/json_read.h"
#include "verify/common/reference.h"
#include "verify/identity/docker_tree.h"

namespace moat::verify::docker {
namespace {

constexpr std::string_view kDockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
constexpr std::string_view kDockerList =
    "application/vnd.docker.distribution.manifest.list.v2+json";
constexpr std::string_view kOciManifest = "application/vnd.oci.image.manifest.v1+json";
constexpr std::string_view kOciIndex = "application/vnd.oci.image.index.v1+json";

}  // namespace

Result<Doc> Classify(const Blob& b) {
  json::Limits limits;
  limits.max_bytes = kMaxManifest;
  limits.go_fold_keys = true;  // dockerd and containers/image decode it into Go structs
  auto parsed = json::Parse(b.bytes, limits);
  if (!parsed.ok()) return parsed.error().Wrap(b.path);
  Doc d;
  d.v = std::move(parsed.value());
  MOAT_TRY(json::ExpectType(d.v, json::Type::kObject, b.path + ": (top level)"));
  const json::Value* sv = d.v.Find("schemaVersion");
  if (sv == nullptr) return Error{b.path + ": schemaVersion: missing"};
  MOAT_ASSIGN_OR_RETURN(auto version, json::ReadInt(*sv, b.path + ": schemaVersion", 1, 2));
  if (const json::Value* mt = d.v.Find("mediaType"); mt != nullptr && !mt->is_null()) {
    MOAT_ASSIGN_OR_RETURN(d.media_type, json::ReadString(*mt, b.path + ": mediaType"));
  }
  if (version == 1) {
    d.kind = Kind::kSchema1;
    return d;
  }
  const json::Value* config = d.v.Find("config");
  const json::Value* manifests = d.v.Find("manifests");
  const bool has_config = config != nullptr && !config->is_null();
  const bool has_manifests = manifests != nullptr && !manifests->is_null();
  if (d.media_type == kDockerManifest || d.media_type == kOciManifest) {
    d.kind = Kind::kManifest;
  } else if (d.media_type == kDockerList || d.media_type == kOciIndex) {
    d.kind = Kind::kIndex;
  } else if (!d.media_type.empty()) {
    return Error{b.path + ": mediaType: " + json::Quote(d.media_type) +
                 " is not an image manifest, manifest list or OCI index"};
  } else if (has_config && !has_manifests) {  // OCI leaves mediaType optional
    d.kind = Kind::kManifest;
    d.media_type = std::string(kOciManifest);
  } else if (has_manifests && !has_config) {
    d.kind = Kind::kIndex;
    d.media_type = std::string(kOciIndex);
  } else {
    return Error{b.path +
                 ": no mediaType, and neither only config nor only manifests: "
                 "not an image manifest or index"};
  }
  return d;
}

Result<std::string> ConfigDigest(const Doc& d, const std::string& where) {
  const json::Value* config = d.v.Find("config");
  if (config == nullptr) return Error{where + ": config: missing"};
  MOAT_TRY(json::ExpectType(*config, json::Type::kObject, where + ": config"));
  const json::Value* digest = config->Find("digest");
  if (digest == nullptr) return Error{where + ": config.digest: missing"};
  MOAT_ASSIGN_OR_RETURN(auto s, json::ReadString(*digest, where + ": config.digest"));
  if (!IsSha256Digest(s)) {
    return Error{where + ": config.digest: " + json::Quote(s) + " is not sha256:<hex>"};
  }
  return s;
}

Result<std::vector<Entry>> IndexEntries(const Doc& d, const std::string& where) {
  const json::Value* list = d.v.Find("manifests");
  if (list == nullptr) return Error{where + ": manifests: missing"};
  MOAT_TRY(json::ExpectType(*list, json::Type::kArray, where + ": manifests"));
  std::vector<Entry> out;
  for (size_t i = 0; i < list->items().size(); ++i) {
    const json::Value& item = list->items()[i];
    const std::string path = where + ": " + json::Index("manifests", i);
    MOAT_TRY(json::ExpectType(item, json::Type::kObject, path));
    const json::Value* digest = item.Find("digest");
    if (digest == nullptr) return Error{path + ".digest: missing"};
    MOAT_ASSIGN_OR_RETURN(auto s, json::ReadString(*digest, path + ".digest"));
    if (!IsSha256Digest(s)) {
      return Error{path + ".digest: " + json::Quote(s) + " is not sha256:<hex>"};
    }
    Entry e{s, ""};
    if (const json::Value* p = item.Find("platform"); p != nullptr && p->is_object()) {
      for (const char* key : {"os", "architecture", "variant"}) {
        const json::Value* f = p->Find(key);
        if (f != nullptr && f->is_string() && !f->text().empty()) {
          e.platform += (e.platform.empty() ? "" : "/") + f->text();
        }
      }
    }
    out.push_back(std::move(e));
  }
  return out;
}

Result<std::vector<std::string>> ConfigDiffIds(const std::string& bytes, const std::string& file) {
  json::Limits limits;
  limits.max_bytes = kMaxImageConfig;
  limits.go_fold_keys = true;  // engines decode it into Go structs
  auto doc = json::Parse(bytes, limits);
  if (!doc.ok()) return doc.error().Wrap(file);
  const json::Value* rootfs = doc->Find("rootfs");
  if (rootfs == nullptr || !rootfs->is_object()) return Error{file + ": rootfs: missing"};
  const json::Value* type = rootfs->Find("type");
  if (type == nullptr || type->is_null()) return Error{file + ": rootfs.type: missing"};
  if (!type->is_string() || type->text() != "layers") {
    return Error{file + ": rootfs.type: " +
                 (type->is_string() ? json::Quote(type->text()) : std::string("a non-string")) +
                 " is not \"layers\""};
  }
  std::vector<std::string> diff_ids;
  if (const json::Value* ids = rootfs->Find("diff_ids"); ids != nullptr && !ids->is_null()) {
    auto read = json::ReadStringArray(*ids, file + ": rootfs.diff_ids");
    if (!read.ok()) return read.error();
    diff_ids = std::move(read.value());
  }
  for (size_t i = 0; i < diff_ids.size(); ++i) {
    if (!IsSha256Digest(diff_ids[i])) {
      return Error{file + ": " + json::Index("rootfs.diff_ids", i) + ": " +
                   json::Quote(diff_ids[i]) + " is not sha256:<hex>"};
    }
  }
  return diff_ids;
}

namespace {

/// The content stores, opened on first use.
class Stores {
 public:
  explicit Stores(const std::vector<std::string>& paths) : paths_(paths) {}

  /// The blob named `digest` from the first store holding it, checked
  /// against its name; nullopt when no store holds it.
  Result<std::optional<Blob>> Find(const std::string& digest) {
    if (!IsSha256Digest(digest)) return std::optional<Blob>();  // stores hold sha256 only
    if (!opened_) MOAT_TRY(OpenAll());
    const std::string rel = "blobs/sha256/" + digest.substr(7);
    for (const Tree& t : trees_) {
      auto bytes = t.Read(rel, kMaxManifest);
      if (!bytes.ok()) {
        if (bytes.error().err == ENOENT) continue;
        return bytes.error();
      }
      const std::string actual = Sha256Digest(*bytes);
      if (actual != digest) {
        return Error{t.Display(rel) + ": content hashes to " + actual + ", not to its name"};
      }
      return std::optional<Blob>(Blob{digest, std::move(bytes.value()), t.Display(rel), t.path()});
    }
    return std::optional<Blob>();
  }

  std::string Names() const {
    std::string out;
    for (const std::string& p : paths_) out += (out.empty() ? "" : ", ") + p;
    return out.empty() ? "(none configured)" : out;
  }

 private:
  Status OpenAll() {
    opened_ = true;
    for (const std::string& p : paths_) {
      auto t = Tree::Open(p, nullptr);  // content-addressed: the hash is the check
      if (!t.ok()) {
        if (t.error().err == ENOENT) continue;
        return t.error();
      }
      trees_.push_back(std::move(t.value()));
    }
    return Status::Ok();
  }

  std::vector<std::string> paths_;
  std::vector<Tree> trees_;
  bool opened_ = false;
};

void AddUnique(std::vector<std::string>* to, const std::vector<std::string>& from) {
  for (const std::string& s : from) {
    if (std::find(to->begin(), to->end(), s) == to->end()) to->push_back(s);
  }
}

void Add(ImageIdentity* id, VerifiedManifest m) {
  for (VerifiedManifest& have : id->manifests) {
    if (have.digest == m.digest) {
      AddUnique(&have.repositories, m.repositories);
      AddUnique(&have.via_index, m.via_index);
      return;
    }
  }
  id->manifests.push_back(std::move(m));
}

std::string Join(const std::vector<std::string>& v) {
  std::string out;
  for (const std::string& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

/// A manifest list / OCI index: the entries whose manifests are in a store
/// and name the image's config.
Status AddIndex(Stores* stores, const Blob& list, const Doc& doc, const RepoDigest& rd,
                ImageIdentity* id) {
  MOAT_ASSIGN_OR_RETURN(auto entries, IndexEntries(doc, list.path));
  std::vector<std::string> seen;
  size_t matched = 0;
  for (const Entry& e : entries) {
    if (std::find(seen.begin(), seen.end(), e.digest) != seen.end()) continue;
    seen.push_back(e.digest);
    MOAT_ASSIGN_OR_RETURN(auto child, stores->Find(e.digest));
    if (!child.has_value()) continue;  // another platform's, never fetched
    MOAT_ASSIGN_OR_RETURN(auto cdoc, Classify(*child));
    if (cdoc.kind != Kind::kManifest) continue;
    MOAT_ASSIGN_OR_RETURN(auto config, ConfigDigest(cdoc, child->path));
    if (config != id->config_digest) continue;
    std::string platforms;
    for (const Entry& p : entries) {
      if (p.digest == e.digest && !p.platform.empty()) {
        platforms += (platforms.empty() ? "" : ", ") + p.platform;
      }
    }
    if (matched++ == 0) {
      Add(id, VerifiedManifest{list.digest, list.bytes, rd.repositories, doc.media_type, {}});
    }
    Add(id,
        VerifiedManifest{
            e.digest, std::move(child->bytes), rd.repositories, cdoc.media_type, {list.digest}});
    id->evidence.push_back("manifest list " + list.digest + " (repo digest of " +
                           Join(rd.repositories) + ") found in containerd content store " +
                           list.store + "; its entry " + e.digest + " (" +
                           (platforms.empty() ? "no platform" : platforms) + ") found in " +
                           child->store + ", config digest matches");
  }
  if (matched == 0) {
    id->evidence.push_back(
        "manifest list " + list.digest + " (repo digest of " + Join(rd.repositories) +
        ") found in " + list.store + ", but none of its " + std::to_string(entries.size()) +
        " entries is a stored manifest of config " + id->config_digest + ": not verified");
  }
  return Status::Ok();
}

}  // namespace

Status AddManifests(const std::vector<std::string>& store_paths,
                    const std::vector<RepoDigest>& digests, ImageIdentity* id) {
  Stores stores(store_paths);
  for (const RepoDigest& rd : digests) {
    const std::string what = rd.digest + " (repo digest of " + Join(rd.repositories) + ")";
    MOAT_ASSIGN_OR_RETURN(auto blob, stores.Find(rd.digest));
    if (!blob.has_value()) {
      id->evidence.push_back("manifest " + what + " is in no containerd content store (" +
                             stores.Names() + "): not verified");
      continue;
    }
    const Blob& b = *blob;
    MOAT_ASSIGN_OR_RETURN(auto doc, Classify(b));
    switch (doc.kind) {
      case Kind::kSchema1:
        id->evidence.push_back("manifest " + what +
                               " is schema 1, which names no image config: not verified");
        break;
      case Kind::kIndex:
        MOAT_TRY(AddIndex(&stores, b, doc, rd, id));
        break;
      case Kind::kManifest: {
        MOAT_ASSIGN_OR_RETURN(auto config, ConfigDigest(doc, b.path));
        if (config != id->config_digest) {
          return Error{b.path + ": config.digest " + config + " is not the image id " +
                       id->config_digest + " that repositories.json records for " + rd.digest};
        }
        Add(id, VerifiedManifest{b.digest, b.bytes, rd.repositories, doc.media_type, {}});
        id->evidence.push_back("manifest " + what + " found in containerd content store " +
                               b.store + ", config digest matches");
        break;
      }
    }
  }
  return Status::Ok();
}

}  // namespace moat::verify::docker
