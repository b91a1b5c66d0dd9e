#include "verify/identity/containerd_state.h"

#include <algorithm>
#include <optional>
#include <set>

#include "base/fs.h"
#include "base/json.h"
#include "base/mountinfo.h"
#include "verify/identity/bbolt.h"

namespace moat::verify::containerd {
namespace {

constexpr char kMetaDb[] = "io.containerd.metadata.v1.bolt/meta.db";
constexpr char kOverlayDir[] = "io.containerd.snapshotter.v1.overlayfs";
constexpr size_t kMaxChain = 512;  // more layers than any engine allows
// containerd's snapshots.Kind, stored as a uvarint.
constexpr uint64_t kKindActive = 2;
constexpr uint64_t kKindCommitted = 3;

std::string Path(const std::vector<std::string>& p) {
  std::string out;
  for (const std::string& s : p) out += (out.empty() ? "" : "/") + s;
  return out;
}

/// A string value that must be present and not empty.
Result<std::string> Need(const BoltDb& db, const std::vector<std::string>& bucket,
                         const std::string& key) {
  MOAT_ASSIGN_OR_RETURN(auto v, db.Get(bucket, key));
  if (!v.has_value() || v->empty()) {
    return Error{db.display() + ": " + Path(bucket) + "/" + key + ": missing or empty", ENOENT};
  }
  return std::move(*v);
}

/// Go's binary.Uvarint, which containerd uses for ids and kinds.
Result<uint64_t> Uvarint(const std::string& v, const std::string& where) {
  uint64_t out = 0;
  for (size_t i = 0; i < v.size() && i < 10; ++i) {
    const auto b = static_cast<unsigned char>(v[i]);
    if (i == 9 && b > 1) break;
    out |= static_cast<uint64_t>(b & 0x7f) << (7 * i);
    if ((b & 0x80) == 0) {
      if (i + 1 != v.size()) break;
      return out;
    }
  }
  return Error{where + ": not a uvarint"};
}

Status ReadChain(const BoltDb& db, const std::string& ns, const std::string& first, MetaFacts* f) {
  std::set<std::string> seen;
  for (std::string key = first; !key.empty();) {
    if (!seen.insert(key).second) {
      return Error{db.display() + ": snapshot " + json::Quote(key) + " is its own ancestor"};
    }
    if (f->chain.size() >= kMaxChain) {
      return Error{db.display() + ": snapshot chain longer than " + std::to_string(kMaxChain)};
    }
    const std::vector<std::string> b = {"v1", ns, "snapshots", f->snapshotter, key};
    MOAT_ASSIGN_OR_RETURN(auto exists, db.BucketExists(b));
    if (!exists) return Error{db.display() + ": " + Path(b) + ": no such snapshot", ENOENT};
    auto name = Need(db, b, "name");
    if (!name.ok()) return name.error();
    MOAT_ASSIGN_OR_RETURN(auto parent, db.Get(b, "parent"));
    f->chain.push_back({key, std::move(name.value())});
    key = parent.value_or("");
  }
  return Status::Ok();
}

Status ReadFacts(const BoltDb& db, const std::string& ns, const std::string& id, MetaFacts* f) {
  *f = MetaFacts{};
  const std::vector<std::string> c = {"v1", ns, "containers", id};
  MOAT_ASSIGN_OR_RETURN(auto exists, db.BucketExists(c));
  if (!exists) {
    return Error{db.display() + ": " + Path(c) + ": no such container in namespace " + ns, ENOENT};
  }
  MOAT_ASSIGN_OR_RETURN(auto image, db.Get(c, "image"));
  if (!image.has_value() || image->empty()) {
    return Error{db.display() + ": " + Path(c) +
                 ": the container names no image (created from a bare rootfs)"};
  }
  f->image = std::move(*image);
  auto snapshotter = Need(db, c, "snapshotter");
  if (!snapshotter.ok()) return snapshotter.error();
  f->snapshotter = std::move(snapshotter.value());
  if (f->snapshotter != "overlayfs") {
    return Error{db.display() + ": " + Path(c) + "/snapshotter: " + json::Quote(f->snapshotter) +
                 " is not supported (moat resolves overlayfs only)"};
  }
  MOAT_ASSIGN_OR_RETURN(auto key, Need(db, c, "snapshotKey"));
  MOAT_TRY(ReadChain(db, ns, key, f));

  const std::vector<std::string> images = {"v1", ns, "images"};
  MOAT_ASSIGN_OR_RETURN(auto any, db.BucketExists(images));
  if (!any) return Status::Ok();
  return db.ForEach(images, [&](const BoltEntry& e) -> Status {
    if (!e.is_bucket) return Status::Ok();
    ImageRecord r;
    r.name = std::string(e.key);
    const std::vector<std::string> target = {"v1", ns, "images", r.name, "target"};
    for (auto [key, to] : {std::pair{"digest", &r.digest}, std::pair{"mediatype", &r.media_type}}) {
      MOAT_ASSIGN_OR_RETURN(auto v, db.Get(target, key));
      *to = v.value_or("");  // a record without one is reported, not resolved
    }
    f->images.push_back(std::move(r));
    return Status::Ok();
  });
}

struct Backend {
  uint64_t id = 0;
  uint64_t kind = 0;
  std::string parent;
};

Result<std::vector<Backend>> ReadBackends(const BoltDb& db, const std::vector<Snapshot>& chain) {
  std::vector<Backend> out;
  std::set<uint64_t> ids;
  for (const Snapshot& s : chain) {
    const std::vector<std::string> b = {"v1", "snapshots", s.name};
    const std::string where = db.display() + ": " + Path(b);
    MOAT_ASSIGN_OR_RETURN(auto exists, db.BucketExists(b));
    if (!exists) return Error{where + ": no such snapshot", ENOENT};
    Backend be;
    MOAT_ASSIGN_OR_RETURN(auto id, Need(db, b, "id"));
    MOAT_ASSIGN_OR_RETURN(be.id, Uvarint(id, where + "/id"));
    MOAT_ASSIGN_OR_RETURN(auto kind, Need(db, b, "kind"));
    MOAT_ASSIGN_OR_RETURN(be.kind, Uvarint(kind, where + "/kind"));
    MOAT_ASSIGN_OR_RETURN(auto parent, db.Get(b, "parent"));
    be.parent = parent.value_or("");
    if (!ids.insert(be.id).second) {
      return Error{where + "/id: " + std::to_string(be.id) + " is used twice in the chain"};
    }
    out.push_back(std::move(be));
  }
  return out;
}

}  // namespace

Result<MetaFacts> ReadMetadata(const docker::Tree& root, const std::string& ns,
                               const std::string& id, ImageIdentity* out) {
  auto fd = root.OpenFile(kMetaDb);
  if (!fd.ok()) return fd.error();
  MOAT_ASSIGN_OR_RETURN(auto db, BoltDb::FromFd(std::move(fd.value()), root.Display(kMetaDb)));
  MetaFacts f;
  MOAT_TRY(db.View([&](const BoltDb& d) { return ReadFacts(d, ns, id, &f); }));
  out->evidence.push_back("container " + ns + "/" + id + " names image " + json::Quote(f.image) +
                          ", snapshot " + json::Quote(f.chain[0].key) + " of " + f.snapshotter +
                          " (" + kMetaDb + ", txid " + std::to_string(db.txid()) +
                          (db.view_reads() > 1 ? ", read " + std::to_string(db.view_reads()) +
                                                     " times: containerd committed meanwhile"
                                               : std::string()) +
                          ")");
  return f;
}

Status CheckRootfsMount(const docker::Tree& root, const std::vector<std::string>& root_names,
                        const std::vector<Snapshot>& chain, const std::string& mountinfo,
                        const std::string& mount_point, ImageIdentity* out) {
  if (chain.size() < 2) {
    return Error{"snapshot " + json::Quote(chain[0].key) +
                 " has no parent: an image without layers is not supported"};
  }
  // The snapshotter's database: snapshot names -> directory ids.
  const std::string rel = std::string(kOverlayDir) + "/metadata.db";
  auto fd = root.OpenFile(rel);
  if (!fd.ok()) return fd.error();
  MOAT_ASSIGN_OR_RETURN(auto db, BoltDb::FromFd(std::move(fd.value()), root.Display(rel)));
  std::vector<Backend> backends;
  MOAT_TRY(db.View([&](const BoltDb& d) -> Status {
    auto b = ReadBackends(d, chain);
    if (!b.ok()) return b.error();
    backends = std::move(b.value());
    return Status::Ok();
  }));
  for (size_t i = 0; i < chain.size(); ++i) {
    const std::string where = db.display() + ": v1/snapshots/" + chain[i].name;
    const uint64_t want_kind = i == 0 ? kKindActive : kKindCommitted;
    if (backends[i].kind != want_kind) {
      return Error{where + "/kind: " + std::to_string(backends[i].kind) + ", not " +
                   (i == 0 ? "active (2)" : "committed (3)")};
    }
    const std::string want_parent = i + 1 < chain.size() ? chain[i + 1].name : "";
    if (backends[i].parent != want_parent) {
      return Error{where + "/parent: " + json::Quote(backends[i].parent) + ", not " +
                   json::Quote(want_parent) + " as in meta.db"};
    }
  }

  // The mount.
  MOAT_ASSIGN_OR_RETURN(auto mount, ReadOverlayMount(mountinfo, mount_point));
  const std::string& shown = mount.shown;
  // An absolute snapshots/<id>/fs under one spelling of the root, or (for
  // long option strings, containerd mounts from the snapshots directory) "<id>/fs".
  auto is_dir_of = [&](const std::string& dir, uint64_t id, bool relative_ok) {
    const std::string tail = "/" + std::to_string(id) + "/fs";
    if (relative_ok && dir == tail.substr(1)) return true;
    return std::any_of(root_names.begin(), root_names.end(), [&](const std::string& r) {
      return dir == r + "/" + kOverlayDir + "/snapshots" + tail;
    });
  };
  if (!is_dir_of(mount.upper, backends[0].id, false)) {
    return Error{shown + ": upperdir " + mount.upper +
                 " is not the container snapshot's directory " + std::to_string(backends[0].id) +
                 "/fs"};
  }
  if (mount.lower.size() != chain.size() - 1) {
    return Error{shown + ": " + std::to_string(mount.lower.size()) +
                 " lowerdirs, but the image has " + std::to_string(chain.size() - 1) + " layers"};
  }
  std::string ids;
  for (size_t i = 0; i < mount.lower.size(); ++i) {
    const uint64_t id = backends[i + 1].id;
    if (!is_dir_of(mount.lower[i], id, true)) {
      return Error{shown + ": lowerdir " + std::to_string(i + 1) + " " + mount.lower[i] +
                   " is not the directory " + std::to_string(id) + "/fs of layer snapshot " +
                   chain[i + 1].key};
    }
    ids += (ids.empty() ? "" : ":") + std::to_string(id);
  }
  out->evidence.push_back("rootfs " + mount_point + " is the overlay of snapshot " +
                          json::Quote(chain[0].key) + " (upper " + std::to_string(backends[0].id) +
                          ", lower " + ids + " per " + kOverlayDir + "/metadata.db)");
  return Status::Ok();
}

}  // namespace moat::verify::containerd
