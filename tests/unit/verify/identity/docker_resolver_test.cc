#include "verify/identity/docker_resolver.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <functional>
#include <string>

#include "base/fs.h"
#include "base/json.h"
#include "tests/unit/verify/identity/resolver_fixture.h"
#include "verify/identity/docker_tree.h"

namespace {

using moat::testing::FailureOf;
using moat::testing::HasEvidence;
using moat::testing::Hex;
using moat::testing::kDockerList;
using moat::testing::kDockerManifest;

using moat::json::Quote;
using moat::verify::DockerChainIds;
using moat::verify::DockerResolveInput;
using moat::verify::Engine;
using moat::verify::ImageIdentity;
using moat::verify::ResolveDocker;
using moat::verify::docker::Sha256Digest;

const std::string kDiff1 = "sha256:" + std::string(64, '1');
const std::string kDiff2 = "sha256:" + std::string(64, '2');
const std::string kDiff3 = "sha256:" + std::string(64, '3');
std::string ImageConfig(const std::vector<std::string>& diff_ids,
                        const std::string& type = "layers") {
  return moat::testing::ImageConfig(diff_ids, R"("config":{"Cmd":["sh"]},)", type);
}
std::string Manifest(const std::string& config_digest,
                     const std::string& media_type = kDockerManifest) {
  return moat::testing::Manifest(config_digest, media_type);
}
std::string List(const std::vector<std::pair<std::string, std::string>>& entries,
                 const std::string& media_type = kDockerList) {
  return moat::testing::Index(entries, media_type, kDockerManifest);
}

/// A synthetic dockerd data-root: one container of a two-layer image that
/// was pulled as busybox:1, with its manifest in the managed containerd's store.
class FakeDocker {
 public:
  FakeDocker() {
    REQUIRE(!dir_.empty());
    root = dir_ + "/docker";
    store = root + "/containerd/daemon/io.containerd.content.v1.content";
    SetImageConfig(ImageConfig({kDiff1, kDiff2}));
    WriteParent(DockerChainIds({kDiff1, kDiff2}).back());
    Write("image/overlay2/layerdb/mounts/" + cid + "/mount-id", mount_id);
    manifest_digest = Blob(Manifest(image_id));
    WriteContainer(cid, image_id, "overlay2", Quote("busybox:1"));
    WriteRepositories(R"({"Repositories":{"busybox":{"busybox:1":)" + Quote(image_id) +
                      R"(,"busybox@)" + manifest_digest + R"(":)" + Quote(image_id) + "}}}");
  }
  FakeDocker(const FakeDocker&) = delete;
  FakeDocker& operator=(const FakeDocker&) = delete;

  /// Writes root/rel (parents 0755) with `mode`.
  void Write(const std::string& rel, const std::string& content, mode_t mode = 0644,
             const std::string& base = "") {
    const std::string path = (base.empty() ? root : base) + "/" + rel;
    REQUIRE(moat::MakeDirs(moat::SplitPath(path).first, 0755).ok());
    ::unlink(path.c_str());
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, mode);
    REQUIRE(fd >= 0);
    REQUIRE(::fchmod(fd, mode) == 0);
    REQUIRE(::write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size()));
    ::close(fd);
  }
  /// Stores bytes in a content store (default: the managed one); returns the digest.
  std::string Blob(const std::string& bytes, const std::string& in_store = "") {
    const std::string digest = Sha256Digest(bytes);
    Write("blobs/sha256/" + Hex(digest), bytes, 0444, in_store.empty() ? store : in_store);
    return digest;
  }
  void SetImageConfig(const std::string& bytes) {
    image_id = Sha256Digest(bytes);
    Write("image/overlay2/imagedb/content/sha256/" + Hex(image_id), bytes, 0600);
  }
  void WriteParent(const std::string& chain_id) {
    Write("image/overlay2/layerdb/mounts/" + cid + "/parent", chain_id);
  }
  /// config.v2.json; `typed` is Config.Image's JSON text ("" leaves Config out).
  void WriteContainer(const std::string& id, const std::string& image, const std::string& driver,
                      const std::string& typed) {
    std::string cfg = typed.empty() ? "" : R"(,"Config":{"Hostname":"x","Image":)" + typed + "}";
    Write("containers/" + cid + "/config.v2.json",
          R"({"StreamConfig":{},"ID":)" + Quote(id) + R"(,"Image":)" + Quote(image) +
              R"(,"Driver":)" + Quote(driver) + cfg + "}",
          0600);
  }
  void WriteTyped(const std::string& typed) {
    WriteContainer(cid, image_id, "overlay2", Quote(typed));
  }
  void WriteRepositories(const std::string& text) {
    Write("image/overlay2/repositories.json", text, 0600);
  }
  std::string RootPath() const { return root + "/overlay2/" + mount_id + "/merged"; }
  DockerResolveInput Input() const {
    DockerResolveInput in;
    in.container_id = cid;
    in.root_path = RootPath();
    in.docker_root = root;
    in.content_stores = {store};
    in.trusted_uid = ::geteuid();
    return in;
  }

  std::string root;
  std::string store;
  std::string cid = std::string(64, 'c');
  std::string mount_id = std::string(64, 'e');
  std::string image_id;
  std::string manifest_digest;

 private:
  moat::testing::TestDir tmp_;
  const std::string dir_ = tmp_.path();
};

std::string Fails(const DockerResolveInput& in) { return FailureOf(ResolveDocker(in)); }

}  // namespace

TEST_CASE("docker: chain IDs", "[identity]") {
  CHECK(DockerChainIds({}).empty());
  CHECK(DockerChainIds({kDiff1}) == std::vector<std::string>{kDiff1});
  // sha256("sha256:11..1 sha256:22..2"), and on with sha256:33..3 (computed with Python).
  CHECK(DockerChainIds({kDiff1, kDiff2, kDiff3}) ==
        std::vector<std::string>{
            kDiff1, "sha256:9932074217c35353d2e03a3f5a86549f7c67bfeb0ba53e23d69f4d4c8f7958f5",
            "sha256:50127c0d6b338be78246434b4bce23ecf75e505158ea0bbd15effeb162fbf3ec"});
}

TEST_CASE("docker: a pulled image resolves with its manifest", "[identity]") {
  FakeDocker d;
  auto id = ResolveDocker(d.Input());
  REQUIRE(id.ok());
  CHECK(id->engine == Engine::kDocker);
  CHECK(id->config_digest == d.image_id);
  CHECK(id->used_reference == "docker.io/library/busybox:1");
  CHECK(id->tags == std::vector<std::string>{"docker.io/library/busybox:1"});
  REQUIRE(id->manifests.size() == 1);
  CHECK(id->manifests[0].digest == d.manifest_digest);
  CHECK(id->manifests[0].bytes == Manifest(d.image_id));
  CHECK(id->manifests[0].media_type == kDockerManifest);
  CHECK(id->manifests[0].repositories == std::vector<std::string>{"docker.io/library/busybox"});
  CHECK(id->manifests[0].via_index.empty());
  CHECK(
      HasEvidence(*id, "image id " + d.image_id + " from containers/" + d.cid + "/config.v2.json"));
  CHECK(HasEvidence(*id, "layer chain matches rootfs.diff_ids (2 layers)"));
  CHECK(HasEvidence(*id, "manifest " + d.manifest_digest));

  SECTION("data-root and content store from defaults") {
    DockerResolveInput in = d.Input();
    in.docker_root.clear();
    in.content_stores.clear();
    auto again = ResolveDocker(in);
    REQUIRE(again.ok());
    CHECK(again->manifests.size() == 1);
    CHECK(again->used_reference == id->used_reference);
  }
  SECTION("content stores are tried in order; absent ones are skipped") {
    DockerResolveInput in = d.Input();
    in.content_stores = {d.root + "/no-such-store", d.root + "/other-store", d.store};
    d.Write("other-store/blobs/sha256/.keep", "");
    auto again = ResolveDocker(in);
    REQUIRE(again.ok());
    CHECK(again->manifests.size() == 1);
  }
  SECTION("a manifest in no store is not verified, and not an error") {
    DockerResolveInput in = d.Input();
    in.content_stores = {d.root + "/empty"};
    auto again = ResolveDocker(in);
    REQUIRE(again.ok());
    CHECK(again->manifests.empty());
    CHECK(HasEvidence(*again, "is in no containerd content store"));
  }
}

TEST_CASE("docker: used_reference only for a name that maps to the image", "[identity]") {
  FakeDocker d;
  const std::string other = "sha256:" + std::string(64, 'f');
  d.WriteRepositories(
      R"({"Repositories":{"busybox":{"busybox:1":)" + Quote(d.image_id) + R"(,"busybox:latest":)" +
      Quote(d.image_id) + R"(,"busybox@)" + d.manifest_digest + R"(":)" + Quote(d.image_id) +
      R"(},"docker.io/library/alpine":{"docker.io/library/alpine:3":)" + Quote(other) + "}}}");
  const std::string image = d.image_id;
  const std::string digest = d.manifest_digest;
  auto [typed, want] = GENERATE_COPY(table<std::string, std::string>({
      {"busybox:1", "docker.io/library/busybox:1"},
      {"busybox", "docker.io/library/busybox:latest"},
      {"docker.io/library/busybox:latest", "docker.io/library/busybox:latest"},
      {"busybox@" + digest, "docker.io/library/busybox@" + digest},
      {"busybox:9@" + digest, "docker.io/library/busybox@" + digest},
      {image, ""},                     // by id
      {Hex(image), ""},                // by bare 64-hex id
      {Hex(image).substr(0, 12), ""},  // by id prefix: parses as a name, not recorded
      {"alpine:3", ""},                // recorded, for another image
      {"busybox:2", ""},               // not recorded
      {"Not/A/Name", ""},
  }));
  d.WriteTyped(typed);
  auto id = ResolveDocker(d.Input());
  REQUIRE(id.ok());
  CHECK(id->used_reference == want);
  CHECK(id->tags == std::vector<std::string>{"docker.io/library/busybox:1",
                                             "docker.io/library/busybox:latest"});
  CHECK(id->manifests.size() == 1);
}

TEST_CASE("docker: no names, no layers, no Config", "[identity]") {
  FakeDocker d;
  SECTION("repositories.json absent") {
    ::unlink((d.root + "/image/overlay2/repositories.json").c_str());
    auto id = ResolveDocker(d.Input());
    REQUIRE(id.ok());
    CHECK(id->tags.empty());
    CHECK(id->manifests.empty());
    CHECK(id->used_reference.empty());
  }
  SECTION("an image without layers has no parent file") {
    d.SetImageConfig(R"({"os":"linux","rootfs":{"type":"layers"}})");
    ::unlink((d.root + "/image/overlay2/layerdb/mounts/" + d.cid + "/parent").c_str());
    d.WriteContainer(d.cid, d.image_id, "overlay2", "");
    d.WriteRepositories(R"({"Repositories":{}})");
    auto id = ResolveDocker(d.Input());
    REQUIRE(id.ok());
    CHECK(HasEvidence(*id, "(0 layers)"));
    CHECK(id->used_reference.empty());
  }
}

TEST_CASE("docker: manifest lists and OCI documents", "[identity]") {
  FakeDocker d;
  const std::string arm = d.Blob(Manifest("sha256:" + std::string(64, 'a')));
  const std::string missing = "sha256:" + std::string(64, '9');
  auto record = [&](const std::string& digest) {
    d.WriteRepositories(R"({"Repositories":{"busybox":{"busybox:1":)" + Quote(d.image_id) +
                        R"(,"busybox@)" + digest + R"(":)" + Quote(d.image_id) + "}}}");
  };
  SECTION("a list selects the per-platform manifest") {
    const std::string list = d.Blob(List({{missing, "s390x"},
                                          {arm, "arm64"},
                                          {d.manifest_digest, "amd64"},
                                          {d.manifest_digest, "amd64"}}));
    record(list);
    auto id = ResolveDocker(d.Input());
    REQUIRE(id.ok());
    REQUIRE(id->manifests.size() == 2);
    CHECK(id->manifests[0].digest == list);
    CHECK(id->manifests[0].media_type == kDockerList);
    CHECK(id->manifests[0].repositories == std::vector<std::string>{"docker.io/library/busybox"});
    CHECK(id->manifests[1].digest == d.manifest_digest);
    CHECK(id->manifests[1].via_index == std::vector<std::string>{list});
    CHECK(id->manifests[1].repositories == std::vector<std::string>{"docker.io/library/busybox"});
    CHECK(HasEvidence(*id, "(linux/amd64, linux/amd64)"));
  }
  SECTION("a list without a stored manifest of this image is not verified") {
    const std::string list = d.Blob(List({{missing, "amd64"}, {arm, "arm64"}}));
    record(list);
    auto id = ResolveDocker(d.Input());
    REQUIRE(id.ok());
    CHECK(id->manifests.empty());
    CHECK(HasEvidence(*id, "none of its 2 entries"));
  }
  SECTION("OCI index and manifest without mediaType") {
    const std::string oci = d.Blob(Manifest(d.image_id, ""));
    const std::string index = d.Blob(List({{oci, "amd64"}}, ""));
    record(index);
    auto id = ResolveDocker(d.Input());
    REQUIRE(id.ok());
    REQUIRE(id->manifests.size() == 2);
    CHECK(id->manifests[0].media_type == "application/vnd.oci.image.index.v1+json");
    CHECK(id->manifests[1].media_type == "application/vnd.oci.image.manifest.v1+json");
  }
  SECTION("schema 1 is skipped") {
    record(d.Blob(R"({"schemaVersion":1,"name":"library/busybox","tag":"1","fsLayers":[]})"));
    auto id = ResolveDocker(d.Input());
    REQUIRE(id.ok());
    CHECK(id->manifests.empty());
    CHECK(HasEvidence(*id, "schema 1"));
  }
}

TEST_CASE("docker: inconsistent engine state is an error", "[identity]") {
  using Mutation = std::function<void(FakeDocker&, DockerResolveInput&)>;
  auto [name, mutate, want] = GENERATE(table<std::string, Mutation, std::string>({
      {"short container id", [](FakeDocker&, DockerResolveInput& in) { in.container_id = "cccc"; },
       "not 64 lower-case hex"},
      {"unknown container",
       [](FakeDocker&, DockerResolveInput& in) { in.container_id = std::string(64, 'd'); },
       "cannot open directory"},
      {"relative root.path",
       [](FakeDocker&, DockerResolveInput& in) { in.root_path = "rootfs"; }, "not an absolute path"},
      {"root.path of another mount",
       [](FakeDocker& d, DockerResolveInput& in) {
         in.root_path = d.root + "/overlay2/" + std::string(64, 'b') + "/merged";
       },
       "is not the container's overlay2 mount"},
      {"root.path outside the data-root",
       [](FakeDocker& d, DockerResolveInput& in) {
         in.root_path = "/srv/overlay2/" + d.mount_id + "/merged";
       },
       "is not the container's overlay2 mount"},
      {"root.path not overlay2 shaped, no data-root",
       [](FakeDocker& d, DockerResolveInput& in) {
         in.docker_root.clear();
         in.root_path = d.root + "/vfs/dir/" + d.mount_id;
       },
       "is not <docker-root>/overlay2/<id>/merged"},
      {"ID differs",
       [](FakeDocker& d, DockerResolveInput&) {
         d.WriteContainer(std::string(64, 'd'), d.image_id, "overlay2", Quote("busybox:1"));
       },
       "config.v2.json: ID: \"dddd"},
      {"vfs driver",
       [](FakeDocker& d, DockerResolveInput&) {
         d.WriteContainer(d.cid, d.image_id, "vfs", Quote("busybox:1"));
       },
       "config.v2.json: Driver: storage driver \"vfs\" is not supported"},
      {"Image not a digest",
       [](FakeDocker& d, DockerResolveInput&) {
         d.WriteContainer(d.cid, "busybox", "overlay2", Quote("busybox:1"));
       },
       "config.v2.json: Image: \"busybox\" is not sha256:<hex>"},
      {"Config.Image not a string",
       [](FakeDocker& d, DockerResolveInput&) { d.WriteContainer(d.cid, d.image_id, "overlay2", "7"); },
       "config.v2.json: Config.Image: expected string"},
      {"duplicate key in config.v2.json",
       [](FakeDocker& d, DockerResolveInput&) {
         d.Write("containers/" + d.cid + "/config.v2.json",
                 R"({"ID":")" + d.cid + R"(","Image":")" + d.image_id +
                     R"(","Driver":"overlay2","image":"sha256:)" + std::string(64, 'f') + "\"}",
                 0600);
       },
       "duplicate key"},
      {"config.v2.json is a symlink",
       [](FakeDocker& d, DockerResolveInput&) {
         const std::string p = d.root + "/containers/" + d.cid + "/config.v2.json";
         d.Write("elsewhere.json", "{}");
         REQUIRE(::rename(p.c_str(), (d.root + "/real.json").c_str()) == 0);
         REQUIRE(::symlink((d.root + "/real.json").c_str(), p.c_str()) == 0);
       },
       "is a symbolic link, refused"},
      {"containers/<id> is a symlink",
       [](FakeDocker& d, DockerResolveInput&) {
         const std::string p = d.root + "/containers/" + d.cid;
         REQUIRE(::rename(p.c_str(), (d.root + "/moved").c_str()) == 0);
         REQUIRE(::symlink((d.root + "/moved").c_str(), p.c_str()) == 0);
       },
       "is a symbolic link, refused"},
      {"group-writable config.v2.json",
       [](FakeDocker& d, DockerResolveInput&) {
         REQUIRE(::chmod((d.root + "/containers/" + d.cid + "/config.v2.json").c_str(), 0620) == 0);
       },
       "group- or world-writable: refused"},
      {"world-writable directory",
       [](FakeDocker& d, DockerResolveInput&) {
         REQUIRE(::chmod((d.root + "/image/overlay2/layerdb").c_str(), 0757) == 0);
       },
       "layerdb: mode 0757 is group- or world-writable"},
      {"files owned by another uid",
       [](FakeDocker&, DockerResolveInput& in) { in.trusted_uid = ::geteuid() + 1; },
       "not " + std::to_string(::geteuid() + 1) + ": refused"},
      {"mount-id not hex",
       [](FakeDocker& d, DockerResolveInput&) {
         d.Write("image/overlay2/layerdb/mounts/" + d.cid + "/mount-id", d.mount_id + "\n");
       },
       "mount-id: \""},
      {"parent not a digest",
       [](FakeDocker& d, DockerResolveInput&) { d.WriteParent("sha256:xyz"); },
       "parent: \"sha256:xyz\" is not sha256:<hex>"},
      {"parent of another chain",
       [](FakeDocker& d, DockerResolveInput&) { d.WriteParent(kDiff3); },
       "is not the chainID"},
      {"image config tampered",
       [](FakeDocker& d, DockerResolveInput&) {
         d.Write("image/overlay2/imagedb/content/sha256/" + Hex(d.image_id),
                 ImageConfig({kDiff1, kDiff3}), 0600);
       },
       "not to the image id"},
      {"image config missing",
       [](FakeDocker& d, DockerResolveInput&) {
         ::unlink((d.root + "/image/overlay2/imagedb/content/sha256/" + Hex(d.image_id)).c_str());
       },
       "cannot open"},
      {"diff_ids of another chain",
       [](FakeDocker& d, DockerResolveInput&) {
         d.SetImageConfig(ImageConfig({kDiff2, kDiff1}));
         d.WriteContainer(d.cid, d.image_id, "overlay2", "");
       },
       "is not the chainID"},
      {"rootfs.type",
       [](FakeDocker& d, DockerResolveInput&) {
         d.SetImageConfig(ImageConfig({kDiff1, kDiff2}, "layered"));
         d.WriteContainer(d.cid, d.image_id, "overlay2", "");
       },
       "rootfs.type: \"layered\" is not \"layers\""},
      {"diff_id not a digest",
       [](FakeDocker& d, DockerResolveInput&) {
         d.SetImageConfig(ImageConfig({kDiff1, "sha256:12"}));
         d.WriteContainer(d.cid, d.image_id, "overlay2", "");
       },
       "rootfs.diff_ids[1]: \"sha256:12\""},
      {"repositories.json entry in another repository",
       [](FakeDocker& d, DockerResolveInput&) {
         d.WriteRepositories(R"({"Repositories":{"busybox":{"alpine:1":)" + Quote(d.image_id) + "}}}");
       },
       "not in repository docker.io/library/busybox"},
      {"repositories.json value not a digest",
       [](FakeDocker& d, DockerResolveInput&) {
         d.WriteRepositories(R"({"Repositories":{"busybox":{"busybox:1":"latest"}}})");
       },
       "[\"busybox:1\"]: \"latest\" is not sha256:<hex>"},
      {"repositories.json: one name, two images",
       [](FakeDocker& d, DockerResolveInput&) {
         d.WriteRepositories(R"({"Repositories":{"busybox":{"busybox:1":)" + Quote(d.image_id) +
                             R"(},"docker.io/library/busybox":{"docker.io/library/busybox:1":"sha256:)" +
                             std::string(64, 'f') + "\"}}}");
       },
       "is recorded twice"},
      {"repositories.json: bad name",
       [](FakeDocker& d, DockerResolveInput&) {
         d.WriteRepositories(R"({"Repositories":{"Busybox":{}}})");
       },
       "repositories.json: Repositories[\"Busybox\"]: "},
      {"manifest bytes do not hash to the digest",
       [](FakeDocker& d, DockerResolveInput&) {
         d.Write("blobs/sha256/" + Hex(d.manifest_digest), Manifest(d.image_id) + " ", 0444, d.store);
       },
       "not to its name"},
      {"manifest of another config",
       [](FakeDocker& d, DockerResolveInput&) {
         const std::string other = d.Blob(Manifest("sha256:" + std::string(64, 'a')));
         d.WriteRepositories(R"({"Repositories":{"busybox":{"busybox@)" + other + R"(":)" +
                             Quote(d.image_id) + "}}}");
       },
       "is not the image id"},
      {"manifest of an unknown type",
       [](FakeDocker& d, DockerResolveInput&) {
         const std::string other = d.Blob(Manifest(d.image_id, "application/vnd.example+json"));
         d.WriteRepositories(R"({"Repositories":{"busybox":{"busybox@)" + other + R"(":)" +
                             Quote(d.image_id) + "}}}");
       },
       "mediaType: \"application/vnd.example+json\" is not an image manifest"},
      {"manifest with a duplicate key",
       [](FakeDocker& d, DockerResolveInput&) {
         const std::string other = d.Blob(
             R"({"schemaVersion":2,"config":{"digest":")" + d.image_id + R"("},"Config":{}})");
         d.WriteRepositories(R"({"Repositories":{"busybox":{"busybox@)" + other + R"(":)" +
                             Quote(d.image_id) + "}}}");
       },
       "duplicate key"},
      {"list entry digest malformed",
       [](FakeDocker& d, DockerResolveInput&) {
         const std::string list = d.Blob(List({{"sha256:abc", "amd64"}}));
         d.WriteRepositories(R"({"Repositories":{"busybox":{"busybox@)" + list + R"(":)" +
                             Quote(d.image_id) + "}}}");
       },
       "manifests[0].digest: \"sha256:abc\""},
  }));
  FakeDocker d;
  DockerResolveInput in = d.Input();
  mutate(d, in);
  INFO(name);
  CHECK_THAT(Fails(in), Catch::Contains(want));
}
