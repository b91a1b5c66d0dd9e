#include "verify/identity/image_copy.h"

#include <cerrno>

#include "base/json.h"
#include "verify/common/digest.h"
#include "verify/common/reference.h"
#include "verify/identity/docker_manifests.h"
#include "verify/identity/docker_tree.h"
#include "verify/identity/oci_layout.h"

namespace moat::verify {

namespace {

constexpr size_t kMaxIndexJson = 4u << 20;
constexpr size_t kMaxSignature = 4u << 20;  // as the lookaside reader
constexpr size_t kMaxSignatures = 128;
constexpr const char* kPlatform = "linux/amd64";

/// The linux/amd64 entry of an index, or "" when it has none.
Result<std::string> PlatformEntry(const docker::Doc& doc, const std::string& where) {
  MOAT_ASSIGN_OR_RETURN(auto entries, docker::IndexEntries(doc, where));
  for (const auto& e : entries) {
    if (e.platform == kPlatform) return e.digest;
  }
  return std::string();
}

/// The top manifest's digest and, for an index, its linux/amd64 entry's digest.
struct Top {
  docker::Doc doc;
  std::string digest;
  std::string entry;  // index only
};

Result<Top> ClassifyTop(const std::string& bytes, const std::string& path) {
  Top top;
  top.digest = docker::Sha256Digest(bytes);
  MOAT_ASSIGN_OR_RETURN(top.doc, docker::Classify(docker::Blob{top.digest, bytes, path, ""}));
  if (top.doc.kind == docker::Kind::kSchema1)
    return Error{path + ": schemaVersion: schema 1 names no image config and is not supported"};
  if (top.doc.kind == docker::Kind::kIndex) {
    MOAT_ASSIGN_OR_RETURN(top.entry, PlatformEntry(top.doc, path));
  }
  return top;
}

/// signature-N (prefix "") or <hex>.signature-N, N from 1 up to the first missing.
Status ReadSignatures(const docker::Tree& t, const std::string& prefix, const std::string& digest,
                      std::vector<CopySignature>* out) {
  for (size_t n = 1;; ++n) {
    const std::string rel = prefix + "signature-" + std::to_string(n);
    if (n > kMaxSignatures)
      return Error{t.Display(rel) + ": more than " + std::to_string(kMaxSignatures) +
                   " signatures"};
    auto bytes = t.Read(rel, kMaxSignature);
    if (!bytes.ok()) {
      if (bytes.error().err == ENOENT) return Status::Ok();
      return bytes.error();
    }
    out->push_back(CopySignature{digest, t.Display(rel), std::move(bytes.value())});
  }
}

}  // namespace

Result<ImageIdentity> CopyIdentity(const CopyFiles& files, const std::string& reference) {
  ImageIdentity id;
  id.engine = Engine::kCopy;
  std::vector<std::string> repos;
  if (!reference.empty()) {
    MOAT_ASSIGN_OR_RETURN(auto r, ParseNormalizedTagged(reference));
    id.used_reference = r.String();
    repos.push_back(r.Name());
    id.evidence.push_back("judged for " + id.used_reference + " (named by the operator)");
  } else {
    id.evidence.push_back("no docker reference: judged as a nameless image");
  }
  MOAT_ASSIGN_OR_RETURN(auto top, ClassifyTop(files.manifest, files.manifest_path));
  const docker::Doc* image = &top.doc;
  std::string image_path = files.manifest_path;
  docker::Doc instance;
  if (top.doc.kind == docker::Kind::kIndex) {
    id.manifests.push_back(
        VerifiedManifest{top.digest, files.manifest, repos, top.doc.media_type, {}});
    id.evidence.push_back(files.where + ": " + files.manifest_path + " is an index, " + top.digest);
    if (top.entry.empty()) {
      id.evidence.push_back("the index has no " + std::string(kPlatform) +
                            " entry: only the index can be signed for");
      image = nullptr;
    } else if (files.instance.empty()) {
      id.evidence.push_back("the copy does not hold the " + std::string(kPlatform) + " manifest " +
                            top.entry + ": only the index can be signed for");
      image = nullptr;
    } else {
      if (docker::Sha256Digest(files.instance) != top.entry)
        return Error{files.instance_path + ": content does not hash to " + top.entry};
      MOAT_ASSIGN_OR_RETURN(instance, docker::Classify(docker::Blob{top.entry, files.instance,
                                                                    files.instance_path, ""}));
      if (instance.kind != docker::Kind::kManifest)
        return Error{files.instance_path + ": mediaType: not an image manifest"};
      id.manifests.push_back(
          VerifiedManifest{top.entry, files.instance, repos, instance.media_type, {top.digest}});
      image = &instance;
      image_path = files.instance_path;
    }
  } else {
    id.manifests.push_back(
        VerifiedManifest{top.digest, files.manifest, repos, top.doc.media_type, {}});
  }
  if (image != nullptr) {
    MOAT_ASSIGN_OR_RETURN(id.config_digest, docker::ConfigDigest(*image, image_path));
    id.evidence.push_back(files.where + ": manifest " + id.manifests.back().digest +
                          " names config " + id.config_digest + " (config blob not read)");
  }
  // A reference by digest names one manifest: the copy must hold it (as a
  // pull by that digest would have checked).
  if (!reference.empty()) {
    MOAT_ASSIGN_OR_RETURN(auto r, ParseNormalizedTagged(reference));
    bool held = r.digest.empty();
    for (const auto& m : id.manifests) held = held || m.digest == r.digest;
    if (!held)
      return Error{"--reference: " + r.digest + " is not a manifest of " + files.where + " (" +
                   id.manifests.front().digest + ")"};
  }
  id.own_signatures = files.own_signatures;
  if (files.own_signatures) {
    for (const auto& s : files.signatures) {
      bool known = false;
      for (const auto& m : id.manifests) known = known || m.digest == s.manifest_digest;
      if (known) id.copy_signatures.push_back(s);
    }
    id.evidence.push_back(files.where + ": " + std::to_string(id.copy_signatures.size()) +
                          " signature(s) stored in the copy, and only those, are checked");
  }
  return id;
}

Result<ImageIdentity> ResolveDirCopy(const std::string& dir, const std::string& reference) {
  if (reference.empty()) return Error{"dir:" + dir + ": --reference: needed for a dir: copy"};
  MOAT_ASSIGN_OR_RETURN(auto tree, docker::Tree::Open(dir, nullptr));
  const docker::Tree& t = tree;
  CopyFiles f;
  f.where = "dir:" + dir;
  f.own_signatures = true;
  f.manifest_path = t.Display("manifest.json");
  MOAT_ASSIGN_OR_RETURN(f.manifest, t.Read("manifest.json", docker::kMaxManifest));
  MOAT_ASSIGN_OR_RETURN(auto top, ClassifyTop(f.manifest, f.manifest_path));
  MOAT_TRY(ReadSignatures(t, "", top.digest, &f.signatures));
  if (!top.entry.empty()) {
    const std::string hex = top.entry.substr(7);
    auto bytes = t.Read(hex + ".manifest.json", docker::kMaxManifest);
    if (bytes.ok()) {
      f.instance = std::move(bytes.value());
      f.instance_path = t.Display(hex + ".manifest.json");
      MOAT_TRY(ReadSignatures(t, hex + ".", top.entry, &f.signatures));
    } else if (bytes.error().err != ENOENT) {
      return bytes.error();
    }
  }
  return CopyIdentity(f, reference);
}

Result<ImageIdentity> ResolveOciCopy(const std::string& dir, const std::string& ref,
                                     const std::string& reference) {
  MOAT_ASSIGN_OR_RETURN(auto tree, docker::Tree::Open(dir, nullptr));
  const docker::Tree& t = tree;
  MOAT_ASSIGN_OR_RETURN(auto layout, t.Read("oci-layout", 4096));
  (void)layout;
  MOAT_ASSIGN_OR_RETURN(auto index, t.Read("index.json", kMaxIndexJson));
  MOAT_ASSIGN_OR_RETURN(auto digest, SelectOciIndexManifest(index, t.Display("index.json"), ref));
  if (!IsSha256Digest(digest))
    return Error{t.Display("index.json") + ": manifests[].digest: " + json::Quote(digest) +
                 " is not sha256:<hex>"};
  CopyFiles f;
  f.where = "oci:" + dir + (ref.empty() ? "" : ":" + ref);
  const std::string rel = "blobs/sha256/" + digest.substr(7);
  f.manifest_path = t.Display(rel);
  MOAT_ASSIGN_OR_RETURN(f.manifest, t.Read(rel, docker::kMaxManifest));
  if (docker::Sha256Digest(f.manifest) != digest)
    return Error{f.manifest_path + ": content does not hash to its name"};
  MOAT_ASSIGN_OR_RETURN(auto top, ClassifyTop(f.manifest, f.manifest_path));
  if (!top.entry.empty()) {
    const std::string irel = "blobs/sha256/" + top.entry.substr(7);
    auto bytes = t.Read(irel, docker::kMaxManifest);
    if (bytes.ok()) {
      f.instance = std::move(bytes.value());
      f.instance_path = t.Display(irel);
    } else if (bytes.error().err != ENOENT) {
      return bytes.error();
    }
  }
  std::string name = reference;
  if (name.empty() && ref.find_first_of(":@") != std::string::npos &&
      ParseNormalizedNamed(ref).ok())
    name = ref;
  auto id = CopyIdentity(f, name);
  if (id.ok()) {
    id->evidence.insert(id->evidence.begin(),
                        "index.json names " + digest + (ref.empty() ? "" : " as " + ref));
  }
  return id;
}

}  // namespace moat::verify
