#include "verify/identity/podman_storage.h"

#include <algorithm>
#include <set>
#include <string_view>

#include "base/json.h"
#include "base/json_read.h"
#include "base/mountinfo.h"
#include "verify/common/base64.h"
#include "verify/common/reference.h"

namespace moat::verify::podman {
namespace {

using docker::Tree;

constexpr char kContainers[] = "overlay-containers/containers.json";
constexpr char kLayers[] = "overlay-layers/layers.json";
constexpr char kImages[] = "overlay-images/images.json";
constexpr size_t kMaxRecords = 64u << 20;  // each JSON file, for many images and containers
constexpr size_t kMaxMetadata = 1u << 20;
constexpr size_t kMaxChain = 512;  // more layers than overlayfs mounts
constexpr size_t kMaxLink = 64;

/// A whole records file: a JSON array of objects, decoded by Go (keys fold).
Result<json::Value> ReadRecords(const Tree& root, const std::string& rel) {
  MOAT_ASSIGN_OR_RETURN(auto text, root.Read(rel, kMaxRecords));
  json::Limits limits;
  limits.max_bytes = kMaxRecords;
  limits.go_fold_keys = true;
  auto doc = json::Parse(text, limits);
  if (!doc.ok()) return doc.error().Wrap(root.Display(rel));
  MOAT_TRY(json::ExpectType(*doc, json::Type::kArray, root.Display(rel) + ": (top level)"));
  for (size_t i = 0; i < doc->items().size(); ++i) {
    MOAT_TRY(json::ExpectType(doc->items()[i], json::Type::kObject,
                              root.Display(rel) + ": " + json::Index("", i)));
  }
  return doc;
}

/// Member `key` of a record as a string; "" when absent or null unless `required`.
Result<std::string> Str(const json::Value& rec, std::string_view key, const std::string& where,
                        bool required) {
  const json::Value* v = rec.Find(key);
  if (v == nullptr || v->is_null()) {
    if (required) return Error{where + "." + std::string(key) + ": missing"};
    return std::string();
  }
  return json::ReadString(*v, where + "." + std::string(key));
}

/// The one record whose "id" is `id`; nullptr when none.
Result<const json::Value*> FindRecord(const json::Value& doc, const std::string& id,
                                      const std::string& file) {
  const json::Value* found = nullptr;
  for (size_t i = 0; i < doc.items().size(); ++i) {
    const std::string where = file + ": " + json::Index("", i);
    MOAT_ASSIGN_OR_RETURN(auto rid, Str(doc.items()[i], "id", where, true));
    if (rid != id) continue;
    if (found != nullptr) return Error{where + ": id " + id + " is recorded twice"};
    found = &doc.items()[i];
  }
  return found;
}

/// A 64-hex id field (ids name directories below the graph root).
Status NeedId(const std::string& value, const std::string& what) {
  if (docker::IsHex64(value)) return Status::Ok();
  return Error{what + ": " + json::Quote(value) + " is not 64 lower-case hex digits"};
}

}  // namespace

Result<ContainerRecord> ReadContainer(const Tree& root, const std::string& id) {
  const std::string file = root.Display(kContainers);
  MOAT_ASSIGN_OR_RETURN(auto doc, ReadRecords(root, kContainers));
  MOAT_ASSIGN_OR_RETURN(auto rec, FindRecord(doc, id, file));
  if (rec == nullptr) return Error{file + ": no container " + id, ENOENT};
  const std::string where = file + ": container " + id.substr(0, 12);
  ContainerRecord c;
  MOAT_ASSIGN_OR_RETURN(auto image, Str(*rec, "image", where, false));
  if (!image.empty()) MOAT_TRY(NeedId(image, where + ".image"));
  c.image = std::move(image);
  MOAT_ASSIGN_OR_RETURN(auto layer, Str(*rec, "layer", where, true));
  MOAT_TRY(NeedId(layer, where + ".layer"));
  c.layer = std::move(layer);
  MOAT_ASSIGN_OR_RETURN(auto metadata, Str(*rec, "metadata", where, false));
  if (metadata.empty()) return c;
  json::Limits limits;
  limits.max_bytes = kMaxMetadata;
  limits.go_fold_keys = true;  // libpod decodes it into a Go struct
  auto meta = json::Parse(metadata, limits);
  if (!meta.ok()) return meta.error().Wrap(where + ".metadata");
  MOAT_TRY(json::ExpectType(*meta, json::Type::kObject, where + ".metadata"));
  MOAT_ASSIGN_OR_RETURN(auto name, Str(*meta, "image-name", where + ".metadata", false));
  MOAT_ASSIGN_OR_RETURN(auto meta_id, Str(*meta, "image-id", where + ".metadata", false));
  if (!meta_id.empty() && meta_id != c.image) {
    return Error{where + ".metadata: image-id " + json::Quote(meta_id) + " is not the image " +
                 json::Quote(c.image)};
  }
  c.image_name = std::move(name);
  return c;
}

Result<std::vector<Layer>> ReadLayerChain(const Tree& root, const std::string& layer) {
  const std::string file = root.Display(kLayers);
  MOAT_ASSIGN_OR_RETURN(auto doc, ReadRecords(root, kLayers));
  std::vector<Layer> chain;
  std::set<std::string> seen;
  for (std::string id = layer; !id.empty();) {
    if (!seen.insert(id).second) return Error{file + ": layer " + id + " is its own ancestor"};
    if (chain.size() >= kMaxChain) {
      return Error{file + ": layer " + layer + " has more than " + std::to_string(kMaxChain) +
                   " ancestors"};
    }
    MOAT_ASSIGN_OR_RETURN(auto rec, FindRecord(doc, id, file));
    if (rec == nullptr) {
      return Error{file + ": no layer " + id +
                   (chain.empty() ? std::string() : " (parent of " + chain.back().id + ")")};
    }
    const std::string where = file + ": layer " + id.substr(0, 12);
    MOAT_TRY(NeedId(id, where + ".id"));
    Layer l{id, "", ""};
    MOAT_ASSIGN_OR_RETURN(auto parent, Str(*rec, "parent", where, false));
    if (!parent.empty()) MOAT_TRY(NeedId(parent, where + ".parent"));
    l.parent = std::move(parent);
    MOAT_ASSIGN_OR_RETURN(auto diff, Str(*rec, "diff-digest", where, false));
    l.diff_digest = std::move(diff);
    id = l.parent;
    chain.push_back(std::move(l));
  }
  return chain;
}

Result<ImageRecord> ReadImage(const Tree& root, const std::string& id) {
  const std::string file = root.Display(kImages);
  MOAT_ASSIGN_OR_RETURN(auto doc, ReadRecords(root, kImages));
  MOAT_ASSIGN_OR_RETURN(auto rec, FindRecord(doc, id, file));
  if (rec == nullptr) return Error{file + ": no image " + id + " (deleted since?)", ENOENT};
  const std::string where = file + ": image " + id.substr(0, 12);
  ImageRecord img;
  img.id = id;
  MOAT_ASSIGN_OR_RETURN(auto top, Str(*rec, "layer", where, false));
  if (!top.empty()) MOAT_TRY(NeedId(top, where + ".layer"));
  img.top_layer = std::move(top);
  for (const char* key : {"names", "big-data-names"}) {
    const json::Value* v = rec->Find(key);
    if (v == nullptr || v->is_null()) continue;
    MOAT_ASSIGN_OR_RETURN(auto list, json::ReadStringArray(*v, where + "." + key));
    (std::string_view(key) == "names" ? img.names : img.big_data_names) = std::move(list);
  }
  if (const json::Value* d = rec->Find("big-data-digests"); d != nullptr && !d->is_null()) {
    MOAT_TRY(json::ExpectType(*d, json::Type::kObject, where + ".big-data-digests"));
    for (const auto& [key, value] : d->members()) {
      MOAT_ASSIGN_OR_RETURN(
          img.big_data_digests[key],
          json::ReadString(value, where + ".big-data-digests[" + json::Quote(key) + "]"));
    }
  }
  return img;
}

std::string BigDataPath(const std::string& image_id, const std::string& key) {
  const bool plain = !key.empty() && std::all_of(key.begin(), key.end(), [](char c) {
    return c == '.' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z');
  });
  return "overlay-images/" + image_id + "/" + (plain ? key : "=" + EncodeBase64(key));
}

std::vector<std::string> LayerIds(const std::vector<std::string>& diff_ids) {
  std::vector<std::string> out;
  for (const std::string& d : diff_ids) {
    const std::string hex = d.substr(std::min<size_t>(7, d.size()));  // "sha256:"
    out.push_back(out.empty() ? hex : docker::Sha256Digest(out.back() + "+" + hex).substr(7));
  }
  return out;
}

Status CheckOverlayMount(const Tree& root, const std::vector<std::string>& root_names,
                         const std::vector<Layer>& chain, const std::string& mountinfo,
                         const std::string& mount_point, ImageIdentity* out) {
  if (chain.size() < 2) return Error{"layer " + chain[0].id + " has no parent image layer"};
  MOAT_ASSIGN_OR_RETURN(auto mount, ReadOverlayMount(mountinfo, mount_point));
  // An absolute <graph root>/overlay/<rel>, or <rel> as the driver mounts long
  // option strings (from the overlay directory).
  auto is = [&](const std::string& dir, const std::string& rel) {
    return dir == rel || std::any_of(root_names.begin(), root_names.end(),
                                     [&](const auto& r) { return dir == r + "/overlay/" + rel; });
  };
  const std::string upper = chain[0].id + "/diff";
  if (!is(mount.upper, upper)) {
    return Error{mount.shown + ": upperdir " + mount.upper +
                 " is not the container layer's overlay/" + upper};
  }
  if (mount.lower.size() != chain.size() - 1) {
    return Error{mount.shown + ": " + std::to_string(mount.lower.size()) +
                 " lowerdirs, but the image has " + std::to_string(chain.size() - 1) + " layers"};
  }
  std::string links;
  for (size_t i = 1; i < chain.size(); ++i) {
    const std::string rel = "overlay/" + chain[i].id + "/link";
    MOAT_ASSIGN_OR_RETURN(auto link, root.Read(rel, kMaxLink));
    if (link.empty() || !std::all_of(link.begin(), link.end(), [](char c) {
          return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        })) {
      return Error{root.Display(rel) + ": " + json::Quote(link) + " is not a link name"};
    }
    if (!is(mount.lower[i - 1], "l/" + link)) {
      return Error{mount.shown + ": lowerdir " + std::to_string(i) + " " + mount.lower[i - 1] +
                   " is not overlay/l/" + link + " of layer " + chain[i].id + " (" + rel + ")"};
    }
    links += (links.empty() ? "l/" : ":l/") + link;
  }
  out->evidence.push_back("rootfs " + mount_point + " is the overlay of layer " + chain[0].id +
                          " (upper overlay/" + upper + ", lower " + links +
                          " per overlay/<layer>/link)");
  return Status::Ok();
}

}  // namespace moat::verify::podman
