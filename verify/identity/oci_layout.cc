#include "verify/identity/oci_layout.h"

#include "base/json.h"
#include "base/json_read.h"
#include "verify/common/digest.h"
#include "verify/common/reference.h"
#include "verify/identity/docker_manifests.h"
#include "verify/identity/docker_tree.h"

namespace moat::verify {

namespace {

constexpr size_t kMaxIndex = 4u << 20;
constexpr size_t kMaxConfig = 16u << 20;
constexpr std::string_view kRefName = "org.opencontainers.image.ref.name";

/// A sha256 blob of the layout, checked against its name.
Result<docker::Blob> ReadBlob(const docker::Tree& t, const std::string& digest, size_t max) {
  if (!IsSha256Digest(digest)) return Error{json::Quote(digest) + " is not sha256:<hex>"};
  const std::string rel = "blobs/sha256/" + digest.substr(7);
  auto bytes = t.Read(rel, max);
  if (!bytes.ok()) return bytes.error();
  if (docker::Sha256Digest(*bytes) != digest)
    return Error{t.Display(rel) + ": content does not hash to its name"};
  return docker::Blob{digest, std::move(bytes.value()), t.Display(rel), t.path()};
}

}  // namespace

Result<std::string> SelectOciIndexManifest(std::string_view text, const std::string& file,
                                           const std::string& ref) {
  json::Limits limits;
  limits.max_bytes = kMaxIndex;
  auto doc = json::Parse(text, limits);
  if (!doc.ok()) return doc.error().Wrap(file);
  if (!doc->is_object()) return Error{file + ": not a JSON object"};
  const json::Value* ms = doc->Find("manifests");
  if (ms == nullptr || !ms->is_array()) return Error{file + ": manifests: missing or not an array"};
  std::vector<std::string> found;
  for (size_t i = 0; i < ms->items().size(); ++i) {
    const json::Value& m = ms->items()[i];
    const std::string path = file + ": " + json::Index("manifests", i);
    if (!m.is_object()) return Error{path + ": not an object"};
    const json::Value* d = m.Find("digest");
    if (d == nullptr) return Error{path + ".digest: missing"};
    MOAT_ASSIGN_OR_RETURN(auto digest, json::ReadString(*d, path + ".digest"));
    const json::Value* ann = m.Find("annotations");
    const json::Value* name = ann != nullptr && ann->is_object() ? ann->Find(kRefName) : nullptr;
    if (ref.empty() || (name != nullptr && name->is_string() && name->text() == ref))
      found.push_back(digest);
  }
  if (found.size() == 1) return found[0];
  if (found.empty()) return Error{file + ": manifests: no manifest named " + json::Quote(ref)};
  return Error{file + ": manifests: " + std::to_string(found.size()) + " manifests" +
               (ref.empty() ? " (name one)" : " named " + json::Quote(ref))};
}

Result<ImageIdentity> ResolveOciLayout(const std::string& dir, const std::string& ref,
                                       uid_t owner) {
  MOAT_ASSIGN_OR_RETURN(auto tree, docker::Tree::Open(dir, &owner));
  const docker::Tree& t = tree;
  ImageIdentity id;
  id.engine = Engine::kOciLayout;
  MOAT_ASSIGN_OR_RETURN(auto layout, t.Read("oci-layout", 4096));
  MOAT_ASSIGN_OR_RETURN(auto index, t.Read("index.json", kMaxIndex));
  MOAT_ASSIGN_OR_RETURN(auto digest, SelectOciIndexManifest(index, t.Display("index.json"), ref));
  id.evidence.push_back("index.json names " + digest + (ref.empty() ? "" : " as " + ref));

  // The config, through an index if the name points at one.
  MOAT_ASSIGN_OR_RETURN(auto blob, ReadBlob(t, digest, docker::kMaxManifest));
  MOAT_ASSIGN_OR_RETURN(auto doc, docker::Classify(blob));
  if (doc.kind == docker::Kind::kIndex) {
    MOAT_ASSIGN_OR_RETURN(auto entries, docker::IndexEntries(doc, blob.path));
    const docker::Entry* pick = nullptr;
    for (const auto& e : entries)
      if (e.platform == "linux/amd64" && pick == nullptr) pick = &e;
    if (pick == nullptr) return Error{blob.path + ": no linux/amd64 manifest"};
    MOAT_ASSIGN_OR_RETURN(auto inner, ReadBlob(t, pick->digest, docker::kMaxManifest));
    MOAT_ASSIGN_OR_RETURN(auto idoc, docker::Classify(inner));
    doc = std::move(idoc);
    blob = std::move(inner);
  }
  MOAT_ASSIGN_OR_RETURN(auto config, docker::ConfigDigest(doc, blob.path));
  MOAT_ASSIGN_OR_RETURN(auto config_blob, ReadBlob(t, config, kMaxConfig));
  id.config_digest = config;
  id.evidence.push_back("config blob hashes to " + config);

  std::vector<std::string> repos;
  if (ref.find_first_of(":@") != std::string::npos) {
    if (auto r = ParseNormalizedNamed(ref); r.ok()) {
      id.used_reference = r->String();
      repos.push_back(r->Name());
      id.evidence.push_back("reference " + id.used_reference + " from index.json's " +
                            std::string(kRefName));
    }
  }
  if (id.used_reference.empty())
    id.evidence.push_back("the layout's name " + json::Quote(ref) + " is not a docker reference");
  MOAT_TRY(docker::AddManifests({t.path()}, {docker::RepoDigest{digest, repos}}, &id));
  return id;
}

}  // namespace moat::verify
