#include "verify/identity/containerd_resolver.h"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "base/fs.h"
#include "base/json.h"
#include "base/mountinfo.h"
#include "tests/unit/verify/identity/bolt_builder.h"
#include "tests/unit/verify/identity/resolver_fixture.h"
#include "verify/identity/docker_resolver.h"
#include "verify/identity/docker_tree.h"

namespace {

using moat::testing::FailureOf;
using moat::testing::HasEvidence;
using moat::testing::kDockerManifest;
using moat::testing::kOciIndex;
using moat::testing::kOciManifest;
using moat::testing::ReadAll;

using moat::json::Quote;
using moat::testing::BoltNode;
using moat::testing::BoltTreeWriter;
using moat::verify::ContainerdResolveInput;
using moat::verify::DockerChainIds;
using moat::verify::Engine;
using moat::verify::ImageIdentity;
using moat::verify::ResolveContainerd;
using moat::verify::docker::Sha256Digest;

const std::string kDiff1 = "sha256:" + std::string(64, '1');
const std::string kDiff2 = "sha256:" + std::string(64, '2');
constexpr char kOverlay[] = "io.containerd.snapshotter.v1.overlayfs";

std::string ImageConfig(const std::vector<std::string>& diff_ids, const std::string& extra = "") {
  return moat::testing::ImageConfig(diff_ids, extra, "layers");
}
std::string Manifest(const std::string& config, const std::string& media_type = kOciManifest) {
  return moat::testing::Manifest(config, media_type);
}
std::string Index(const std::vector<std::pair<std::string, std::string>>& entries) {
  return moat::testing::Index(entries, kOciIndex, kOciManifest);
}

/// A synthetic containerd root and state dir: container moat/c1 of a
/// two-layer image docker.io/library/busybox:1, its rootfs mounted.
class FakeContainerd {
 public:
  FakeContainerd() {
    REQUIRE(!dir_.empty());
    root = dir_ + "/root";
    state = dir_ + "/state";
    bundle = state + "/io.containerd.runtime.v2.task/moat/c1";
    REQUIRE(moat::MakeDirs(bundle + "/rootfs", 0755).ok());
    chain = DockerChainIds({kDiff1, kDiff2});  // bottom first
    SetImage(ImageConfig({kDiff1, kDiff2}));
    Container("c1")
        .V("image", "docker.io/library/busybox:1")
        .V("snapshotter", "overlayfs")
        .V("snapshotKey", "c1");
    Snap("c1", "moat/5/c1", chain[1]);
    Snap(chain[1], "moat/4/" + chain[1], chain[0]);
    Snap(chain[0], "moat/3/" + chain[0], "");
    Backend("moat/5/c1", 5, 2, "moat/4/" + chain[1]);
    Backend("moat/4/" + chain[1], 4, 3, "moat/3/" + chain[0]);
    Backend("moat/3/" + chain[0], 3, 3, "");
    mount_lower = SnapDir(4) + ":" + SnapDir(3);
    mount_upper = SnapDir(5);
  }
  FakeContainerd(const FakeContainerd&) = delete;
  FakeContainerd& operator=(const FakeContainerd&) = delete;

  void Write(const std::string& path, const std::string& content, mode_t mode = 0644) {
    REQUIRE(moat::MakeDirs(moat::SplitPath(path).first, 0755).ok());
    ::unlink(path.c_str());
    std::ofstream(path, std::ios::binary) << content;
    REQUIRE(::chmod(path.c_str(), mode) == 0);
  }
  std::string Blob(const std::string& bytes) {
    const std::string digest = Sha256Digest(bytes);
    Write(BlobPath(digest), bytes, 0444);
    return digest;
  }
  std::string BlobPath(const std::string& digest) const {
    return root + "/io.containerd.content.v1.content/blobs/sha256/" + digest.substr(7);
  }
  /// Stores `config` and a manifest of it, recorded as busybox:1.
  void SetImage(const std::string& config) {
    config_digest = Blob(config);
    manifest_digest = Blob(Manifest(config_digest));
    Image("docker.io/library/busybox:1", manifest_digest, kOciManifest);
  }
  void Image(const std::string& name, const std::string& digest, const std::string& media_type) {
    meta.B("v1")
        .B("moat")
        .B("images")
        .B(name)
        .B("target")
        .V("digest", digest)
        .V("mediatype", media_type);
  }
  BoltNode& Container(const std::string& id) {
    return meta.B("v1").B("moat").B("containers").B(id);
  }
  void Snap(const std::string& key, const std::string& name, const std::string& parent) {
    BoltNode& s = meta.B("v1").B("moat").B("snapshots").B("overlayfs").B(key);
    s.V("name", name);
    if (!parent.empty()) s.V("parent", parent);
  }
  void Backend(const std::string& name, unsigned id, unsigned kind, const std::string& parent) {
    BoltNode& s = overlay.B("v1").B("snapshots").B(name);
    s.V("id", std::string(1, static_cast<char>(id)))
        .V("kind", std::string(1, static_cast<char>(kind)));
    if (!parent.empty()) s.V("parent", parent);
  }
  std::string SnapDir(unsigned id) const {
    return root + "/" + kOverlay + "/snapshots/" + std::to_string(id) + "/fs";
  }
  std::string MountLine() const {
    return "1289 28 0:412 / " + bundle +
           "/rootfs rw,relatime shared:640 - overlay overlay rw,lowerdir=" + mount_lower +
           ",upperdir=" + mount_upper +
           ",workdir=" + mount_upper.substr(0, mount_upper.size() - 3) + "/work\n";
  }
  /// Writes meta.db, the snapshotter's metadata.db and the mount table.
  void Commit() {
    Write(root + "/io.containerd.metadata.v1.bolt/meta.db", BoltTreeWriter().Write(meta));
    Write(root + "/" + kOverlay + "/metadata.db", BoltTreeWriter().Write(overlay), 0600);
    Write(dir_ + "/mountinfo", "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n" +
                                   mount_prefix + MountLine() + mount_suffix);
  }
  ContainerdResolveInput Input() {
    Commit();
    ContainerdResolveInput in;
    in.bundle = bundle;
    in.container_id = "c1";
    in.root_path = "rootfs";
    in.state_dir = state;
    in.containerd_root = root;
    in.mountinfo = dir_ + "/mountinfo";
    in.trusted_uid = ::geteuid();
    return in;
  }
  const std::string& dir() const { return dir_; }

  std::string root, state, bundle;
  std::vector<std::string> chain;
  std::string config_digest, manifest_digest;
  BoltNode meta, overlay;
  std::string mount_lower, mount_upper, mount_prefix, mount_suffix;

 private:
  moat::testing::TestDir tmp_;
  const std::string dir_ = tmp_.path();
};

std::string Fails(const ContainerdResolveInput& in) { return FailureOf(ResolveContainerd(in)); }

}  // namespace

TEST_CASE("containerd: a pulled image resolves with its manifest", "[containerd]") {
  FakeContainerd c;
  auto id = ResolveContainerd(c.Input());
  REQUIRE(id.ok());
  CHECK(id->engine == Engine::kContainerd);
  CHECK(id->config_digest == c.config_digest);
  CHECK(id->used_reference == "docker.io/library/busybox:1");
  CHECK(id->tags == std::vector<std::string>{"docker.io/library/busybox:1"});
  REQUIRE(id->manifests.size() == 1);
  CHECK(id->manifests[0].digest == c.manifest_digest);
  CHECK(id->manifests[0].bytes == Manifest(c.config_digest));
  CHECK(id->manifests[0].media_type == kOciManifest);
  CHECK(id->manifests[0].repositories == std::vector<std::string>{"docker.io/library/busybox"});
  CHECK(id->manifests[0].via_index.empty());
  CHECK(HasEvidence(*id, "container moat/c1 names image \"docker.io/library/busybox:1\""));
  CHECK(HasEvidence(*id, "(upper 5, lower 4:3 per " + std::string(kOverlay) + "/metadata.db)"));
  CHECK(HasEvidence(*id, "container snapshot's 2 parent snapshots (top " + c.chain[1] + ")"));
  CHECK(HasEvidence(*id, "used reference docker.io/library/busybox:1"));

  SECTION("root.path may be absolute") {
    auto in = c.Input();
    in.root_path = c.bundle + "/rootfs";
    CHECK(ResolveContainerd(in).ok());
  }
  SECTION("long mount options: lowerdirs relative to the snapshots directory") {
    c.mount_lower = "4/fs:3/fs";
    CHECK(ResolveContainerd(c.Input()).ok());
  }
  SECTION("state and root reached through symlinks") {
    REQUIRE(::symlink(c.state.c_str(), (c.dir() + "/state-link").c_str()) == 0);
    REQUIRE(::symlink(c.root.c_str(), (c.dir() + "/root-link").c_str()) == 0);
    auto linked = [&] {
      auto in = c.Input();
      in.state_dir = c.dir() + "/state-link";
      in.bundle = in.state_dir + "/io.containerd.runtime.v2.task/moat/c1";
      in.containerd_root = c.dir() + "/root-link";
      return in;
    };
    CHECK(ResolveContainerd(linked()).ok());
    // Mount options spelled with the configured root, as containerd spells them.
    c.mount_lower = c.dir() + "/root-link/" + kOverlay + "/snapshots/4/fs:" + c.SnapDir(3);
    CHECK(ResolveContainerd(linked()).ok());
    CHECK(Fails(c.Input()).find("is not the directory 4/fs") != std::string::npos);
  }
}

TEST_CASE("containerd: containerd 1.6's own databases", "[containerd]") {
  // tests/fixtures/bbolt: written by a real containerd (make_fixtures.sh);
  // the blobs are rebuilt here from the same bytes that script imported.
  FakeContainerd c;
  const std::string fx = std::string(MOAT_TEST_FIXTURES) + "/bbolt/";
  const std::string facts = ReadAll(fx + "facts.txt");
  auto fact = [&](const std::string& name) {
    return facts.substr(facts.find(name + " ") + name.size() + 1, 71);
  };
  const std::string layer = fact("layer");
  const std::string config =
      R"({"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[")" + layer +
      R"("]}})";
  REQUIRE(c.Blob(config) == fact("config"));
  const std::string manifest =
      R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":")" +
      fact("config") + R"(","size":)" + std::to_string(config.size()) +
      R"(},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":")" + layer +
      R"(","size":10240}]})";
  REQUIRE(c.Blob(manifest) == fact("manifest"));
  auto in = c.Input();
  c.Write(c.root + "/io.containerd.metadata.v1.bolt/meta.db", ReadAll(fx + "meta.db"));
  c.Write(c.root + "/" + kOverlay + "/metadata.db", ReadAll(fx + "overlayfs.db"), 0600);
  c.mount_lower = c.SnapDir(1);
  c.mount_upper = c.SnapDir(3);
  c.Write(in.mountinfo, c.MountLine());
  auto id = ResolveContainerd(in);
  REQUIRE(id.ok());
  CHECK(id->config_digest == fact("config"));
  CHECK(id->used_reference == "moat.test/tiny:1");
  CHECK(id->tags == std::vector<std::string>{"moat.test/tiny:1", "moat.test/tag1:1",
                                             "moat.test/tag2:1", "moat.test/tag3:1"});
  REQUIRE(id->manifests.size() == 1);
  CHECK(id->manifests[0].digest == fact("manifest"));
  CHECK(id->manifests[0].repositories ==
        std::vector<std::string>{"moat.test/tiny", "moat.test/tag1", "moat.test/tag2",
                                 "moat.test/tag3"});
  CHECK(HasEvidence(*id, "(upper 3, lower 1 per"));
}

TEST_CASE("containerd: names, tags and other manifests", "[containerd]") {
  FakeContainerd c;
  c.Image("docker.io/library/busybox:latest", c.manifest_digest, kOciManifest);
  c.Image("docker.io/library/busybox@" + c.manifest_digest, c.manifest_digest, kOciManifest);
  // `ctr image import` of a docker-save tar: a locally built manifest of the same config.
  const std::string local = c.Blob(Manifest(c.config_digest, kDockerManifest));
  c.Image("moat.local/imported:1", local, kDockerManifest);
  // Another image, an artifact, a record without its blob, a name that is no reference.
  const std::string other = c.Blob(Manifest(c.Blob(ImageConfig({kDiff1}))));
  c.Image("docker.io/library/other:1", other, kOciManifest);
  c.Image("docker.io/library/chart:1", c.manifest_digest,
          "application/vnd.cncf.helm.config.v1+json");
  c.Image("docker.io/library/gone:1", "sha256:" + std::string(64, '9'), kOciManifest);
  c.Image("Not A Reference", c.manifest_digest, kOciManifest);
  c.Image(c.config_digest, c.manifest_digest, kOciManifest);  // CRI's image-id record
  auto id = ResolveContainerd(c.Input());
  REQUIRE(id.ok());
  CHECK(id->tags == std::vector<std::string>{"docker.io/library/busybox:1",
                                             "docker.io/library/busybox:latest",
                                             "moat.local/imported:1"});
  REQUIRE(id->manifests.size() == 2);
  CHECK(id->manifests[0].digest == c.manifest_digest);
  CHECK(id->manifests[0].repositories == std::vector<std::string>{"docker.io/library/busybox"});
  CHECK(id->manifests[1].digest == local);
  CHECK(id->manifests[1].media_type == kDockerManifest);
  CHECK(id->manifests[1].repositories == std::vector<std::string>{"moat.local/imported"});
  CHECK(HasEvidence(
      *id, "image \"docker.io/library/chart:1\": target " + c.manifest_digest + ": media type"));
  CHECK(HasEvidence(*id, "image \"docker.io/library/gone:1\": target sha256:999"));
  CHECK(HasEvidence(*id, "image name \"Not A Reference\" is not a reference: no tag"));
  CHECK(HasEvidence(*id, "image name \"" + c.config_digest + "\" is not a reference: no tag"));

  SECTION("run by digest") {
    c.Container("c1").V("image", "docker.io/library/busybox@" + c.manifest_digest);
    id = ResolveContainerd(c.Input());
    REQUIRE(id.ok());
    CHECK(id->used_reference == "docker.io/library/busybox@" + c.manifest_digest);
  }
  SECTION("run by a name that is not a reference") {
    c.Container("c1").V("image", "Not A Reference");
    id = ResolveContainerd(c.Input());
    REQUIRE(id.ok());
    CHECK(id->used_reference.empty());
    CHECK(HasEvidence(*id, "is not a reference: no used reference"));
  }
}

TEST_CASE("containerd: an index selects the manifest of the container's layers", "[containerd]") {
  FakeContainerd c;
  const std::string s390x = "sha256:" + std::string(64, '5');                 // never fetched
  const std::string other = c.Blob(Manifest(c.Blob(ImageConfig({kDiff1}))));  // another platform
  const std::string index =
      c.Blob(Index({{c.manifest_digest, "amd64"}, {s390x, "s390x"}, {other, "arm64"}}));
  c.Image("docker.io/library/busybox:1", index, kOciIndex);
  auto id = ResolveContainerd(c.Input());
  REQUIRE(id.ok());
  CHECK(id->config_digest == c.config_digest);
  REQUIRE(id->manifests.size() == 2);
  CHECK(id->manifests[0].digest == index);
  CHECK(id->manifests[0].media_type == kOciIndex);
  CHECK(id->manifests[0].via_index.empty());
  CHECK(id->manifests[1].digest == c.manifest_digest);
  CHECK(id->manifests[1].via_index == std::vector<std::string>{index});
  CHECK(id->manifests[1].repositories == std::vector<std::string>{"docker.io/library/busybox"});
  CHECK(HasEvidence(*id, "its entry " + c.manifest_digest + " (linux/amd64)"));
  CHECK(HasEvidence(*id, "1 other index entries are not in the content store"));

  SECTION("two configs with the container's layers: ambiguous") {
    const std::string twin = c.Blob(Manifest(c.Blob(ImageConfig({kDiff1, kDiff2}, R"("x":1,)"))));
    c.Image("docker.io/library/busybox:1",
            c.Blob(Index({{c.manifest_digest, "amd64"}, {twin, "arm64"}})), kOciIndex);
    CHECK(Fails(c.Input()).find("ambiguous") != std::string::npos);
  }
  SECTION("recorded as an index, but a manifest") {
    c.Image("docker.io/library/busybox:1", c.manifest_digest, kOciIndex);
    CHECK(Fails(c.Input()).find("recorded as " + kOciIndex + ", but the blob is a") !=
          std::string::npos);
  }
}

TEST_CASE("containerd: the bundle and argv must agree", "[containerd]") {
  FakeContainerd c;
  auto in = c.Input();
  SECTION("id mismatch") {
    in.container_id = "c2";
    CHECK(Fails(in).find("container id \"c2\" is not the bundle's id \"c1\"") != std::string::npos);
  }
  SECTION("bundle outside the state dir") {
    in.bundle = c.dir() + "/elsewhere/io.containerd.runtime.v2.task/moat/c1";
    CHECK(Fails(in).find("is not " + c.state + "/io.containerd.runtime.v2.task/<namespace>/<id>") !=
          std::string::npos);
  }
  SECTION("a bundle that is a symlink") {
    REQUIRE(moat::MakeDirs(c.dir() + "/fake/rootfs", 0755).ok());
    REQUIRE(::symlink((c.dir() + "/fake").c_str(),
                      (c.state + "/io.containerd.runtime.v2.task/moat/c9").c_str()) == 0);
    in.bundle = c.state + "/io.containerd.runtime.v2.task/moat/c9";
    in.container_id = "c9";
    CHECK(Fails(in).find("resolves to " + c.dir() + "/fake") != std::string::npos);
  }
  SECTION("bad identifiers") {
    in.bundle = c.state + "/io.containerd.runtime.v2.task/moat/../c1";
    CHECK(Fails(in).find("is not a containerd identifier") != std::string::npos);
    in.bundle = c.state + "/io.containerd.runtime.v2.task/moat/c1/rootfs";
    CHECK(Fails(in).find("is not a containerd identifier") != std::string::npos);
  }
  SECTION("root.path elsewhere") {
    in.root_path = "/tmp/rootfs";
    CHECK(Fails(in).find("root.path: \"/tmp/rootfs\" is not the bundle's") != std::string::npos);
  }
  SECTION("no such container") {
    in.bundle = c.state + "/io.containerd.runtime.v2.task/moat/c2";
    in.container_id = "c2";
    REQUIRE(moat::MakeDirs(in.bundle, 0755).ok());
    CHECK(Fails(in).find("v1/moat/containers/c2: no such container in namespace moat") !=
          std::string::npos);
  }
  SECTION("another namespace") {
    in.bundle = c.state + "/io.containerd.runtime.v2.task/k8s.io/c1";
    REQUIRE(moat::MakeDirs(in.bundle, 0755).ok());
    CHECK(Fails(in).find("v1/k8s.io/containers/c1: no such container") != std::string::npos);
  }
}

TEST_CASE("containerd: inconsistent engine state is an error", "[containerd]") {
  FakeContainerd c;
  SECTION("no image name") {
    c.Container("c1").values.erase("image");
    CHECK(Fails(c.Input()).find("the container names no image") != std::string::npos);
  }
  SECTION("another snapshotter") {
    c.Container("c1").V("snapshotter", "native");
    CHECK(Fails(c.Input()).find("\"native\" is not supported") != std::string::npos);
  }
  SECTION("image deleted since") {
    c.meta.B("v1").B("moat").B("images").buckets.clear();
    CHECK(Fails(c.Input()).find("is no longer in the namespace's images") != std::string::npos);
  }
  SECTION("retagged to another image") {
    c.Image("docker.io/library/busybox:1", c.Blob(Manifest(c.Blob(ImageConfig({kDiff2})))),
            kOciManifest);
    CHECK(Fails(c.Input()).find("the name was retagged after the container was created") !=
          std::string::npos);
  }
  SECTION("the snapshot is another image's") {
    c.Snap("c1", "moat/5/c1", c.chain[0]);
    CHECK(Fails(c.Input()).find("none with the container snapshot's 1 layers") !=
          std::string::npos);
  }
  SECTION("a snapshot missing from the chain") {
    c.meta.B("v1").B("moat").B("snapshots").B("overlayfs").buckets.erase(c.chain[0]);
    CHECK(Fails(c.Input()).find("/" + c.chain[0] + ": no such snapshot") != std::string::npos);
  }
  SECTION("a snapshot chain loop") {
    c.Snap(c.chain[0], "moat/3/" + c.chain[0], "c1");
    CHECK(Fails(c.Input()).find("is its own ancestor") != std::string::npos);
  }
  SECTION("tampered manifest blob") {
    c.Input();
    c.Write(c.BlobPath(c.manifest_digest), Manifest(c.config_digest) + " ");
    CHECK(Fails(c.Input()).find("not to its name") != std::string::npos);
  }
  SECTION("tampered config blob") {
    c.Write(c.BlobPath(c.config_digest), ImageConfig({kDiff1}));
    CHECK(Fails(c.Input()).find(c.config_digest.substr(7) + ": content hashes to") !=
          std::string::npos);
  }
  SECTION("manifest blob missing") {
    REQUIRE(::unlink(c.BlobPath(c.manifest_digest).c_str()) == 0);
    CHECK(Fails(c.Input()).find("is not in the content store") != std::string::npos);
  }
  SECTION("snapshotter database: wrong parent or kind") {
    c.Backend("moat/4/" + c.chain[1], 4, 3, "moat/9/x");
    CHECK(Fails(c.Input()).find("/parent: \"moat/9/x\", not") != std::string::npos);
    c.Backend("moat/4/" + c.chain[1], 4, 2, "moat/3/" + c.chain[0]);
    CHECK(Fails(c.Input()).find("/kind: 2, not committed (3)") != std::string::npos);
  }
  SECTION("meta.db writable by others") {
    auto in = c.Input();
    REQUIRE(::chmod((c.root + "/io.containerd.metadata.v1.bolt/meta.db").c_str(), 0666) == 0);
    CHECK(Fails(in).find("group- or world-writable") != std::string::npos);
  }
  SECTION("meta.db not a bbolt file") {
    auto in = c.Input();
    c.Write(c.root + "/io.containerd.metadata.v1.bolt/meta.db", std::string(8192, 'x'));
    CHECK(Fails(in).find("no valid meta page") != std::string::npos);
  }
}

TEST_CASE("containerd: the rootfs mount must be the snapshot's overlay", "[containerd]") {
  FakeContainerd c;
  SECTION("nothing mounted") {
    auto in = c.Input();
    c.Write(in.mountinfo, "22 1 8:1 / / rw - ext4 /dev/sda1 rw\n");
    CHECK(Fails(in).find("rootfs: nothing is mounted there") != std::string::npos);
  }
  SECTION("something mounted over it") {
    c.mount_suffix = "1300 1289 0:50 / " + c.bundle + "/rootfs rw - tmpfs tmpfs rw\n";
    CHECK(Fails(c.Input()).find("a \"tmpfs\" mount, not overlay") != std::string::npos);
  }
  SECTION("lowerdirs out of order") {
    c.mount_lower = c.SnapDir(3) + ":" + c.SnapDir(4);
    CHECK(Fails(c.Input()).find("lowerdir 1 " + c.SnapDir(3) + " is not the directory 4/fs") !=
          std::string::npos);
  }
  SECTION("a layer too many") {
    c.mount_lower += ":" + c.SnapDir(7);
    CHECK(Fails(c.Input()).find("3 lowerdirs, but the image has 2 layers") != std::string::npos);
  }
  SECTION("another container's upperdir") {
    c.mount_upper = c.SnapDir(6);
    CHECK(Fails(c.Input()).find("upperdir " + c.SnapDir(6) + " is not the container snapshot's") !=
          std::string::npos);
  }
  SECTION("a directory outside the snapshotter") {
    c.mount_lower = c.dir() + "/evil/4/fs:" + c.SnapDir(3);
    CHECK(Fails(c.Input()).find("is not the directory 4/fs") != std::string::npos);
  }
  SECTION("an earlier mount under a later one counts") {
    c.mount_prefix = "1200 28 0:60 / " + c.bundle + "/rootfs rw - tmpfs tmpfs rw\n";
    CHECK(ResolveContainerd(c.Input()).ok());
  }
}

TEST_CASE("containerd: bundle paths and identifiers", "[containerd]") {
  using moat::verify::IsContainerdIdentifier;
  using moat::verify::ParseContainerdBundle;
  for (const char* ok : {"a", "default", "k8s.io", "moby", "a-b_c.d", "A1", "x9-Y"}) {
    CHECK(IsContainerdIdentifier(ok));
  }
  for (const char* bad : {"", ".", "..", "-a", "a-", "a..b", "a/b", "a b", "é"}) {
    CHECK_FALSE(IsContainerdIdentifier(bad));
  }
  CHECK_FALSE(IsContainerdIdentifier(std::string(77, 'a')));
  CHECK(IsContainerdIdentifier(std::string(76, 'a')));
  auto b = ParseContainerdBundle("/run/containerd/io.containerd.runtime.v2.task/k8s.io/abc",
                                 "/run/containerd");
  REQUIRE(b.ok());
  CHECK(b->ns == "k8s.io");
  CHECK(b->id == "abc");
  CHECK_FALSE(
      ParseContainerdBundle("/run/containerd/io.containerd.runtime.v2.task/abc", "/run/containerd")
          .ok());
  CHECK_FALSE(ParseContainerdBundle("/run/containerdX/io.containerd.runtime.v2.task/n/abc",
                                    "/run/containerd")
                  .ok());
  CHECK_FALSE(ParseContainerdBundle("/run/containerd/io.containerd.runtime.v1.linux/n/abc",
                                    "/run/containerd")
                  .ok());
}

TEST_CASE("containerd: mountinfo", "[containerd]") {
  using moat::ParseMountInfo;
  using moat::SplitLowerDirs;
  using moat::TopMountAt;
  const std::string text =
      "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw,errors=remount-ro\n"
      "30 22 0:5 / /a\\040b rw master:3 shared:4 - tmpfs my\\040tmpfs rw,size=10k\n"
      "31 22 0:6 / /o rw - overlay overlay rw,lowerdir=/l\\054x:/m,upperdir=/u\n"
      "32 22 0:7 / /o rw - overlay overlay rw,lowerdir=/top,upperdir=/u2\n";
  auto m = ParseMountInfo(text, "mi");
  REQUIRE(m.ok());
  REQUIRE(m->size() == 4);
  CHECK((*m)[1].mount_point == "/a b");
  CHECK((*m)[1].fs_type == "tmpfs");
  CHECK((*m)[1].source == "my tmpfs");
  CHECK((*m)[1].Option("size") == "10k");
  CHECK_FALSE((*m)[1].Option("siz").has_value());
  CHECK((*m)[2].Option("lowerdir") == "/l,x:/m");
  auto top = TopMountAt(*m, "/o");
  REQUIRE(top.has_value());
  CHECK(top->Option("upperdir") == "/u2");
  CHECK_FALSE(TopMountAt(*m, "/nope").has_value());
  auto bad = ParseMountInfo("22 1 8:1 / / rw\n", "mi");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message == "mi: line 1: not a mountinfo line");
  auto split = SplitLowerDirs("/a:/b/c:d");
  REQUIRE(split.ok());
  CHECK(*split == std::vector<std::string>{"/a", "/b/c", "d"});
  CHECK_FALSE(SplitLowerDirs("/a::/b").ok());
  CHECK_FALSE(SplitLowerDirs("/a\\:b").ok());
  CHECK_FALSE(SplitLowerDirs("").ok());
}
