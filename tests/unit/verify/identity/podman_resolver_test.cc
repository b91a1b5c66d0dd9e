#include "verify/identity/podman_resolver.h"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "base/json.h"
#include "tests/unit/test_dir.h"
#include "tests/unit/verify/identity/resolver_fixture.h"
#include "verify/identity/docker_tree.h"
#include "verify/identity/podman_storage.h"

namespace {

using moat::testing::FailureOf;
using moat::testing::HasEvidence;
using moat::testing::Hex;
using moat::testing::ReadAll;

namespace fs = std::filesystem;
using moat::verify::Engine;
using moat::verify::ImageIdentity;
using moat::verify::IsPodmanBundle;
using moat::verify::PodmanResolveInput;
using moat::verify::ResolvePodman;
using moat::verify::docker::Sha256Digest;
using moat::verify::podman::BigDataPath;
using moat::verify::podman::LayerIds;

const std::string kFixture = std::string(MOAT_TEST_FIXTURES) + "/podman";

/// The graph root podman 4.3 wrote (tests/fixtures/podman, make_fixtures.sh),
/// copied into a temp dir with podman's modes, and the bundle directories
/// podman makes for its two containers, c-pull (of an image pulled through an
/// OCI index) and c-load (of a `podman load`ed one), both mounted per
/// `mountinfo`.
class Storage {
 public:
  Storage() {
    dir = tmp_.path();
    REQUIRE(!dir.empty());
    root = dir + "/storage";
    fs::copy(kFixture + "/root", root, fs::copy_options::recursive);
    for (const auto& e : fs::recursive_directory_iterator(root)) {
      REQUIRE(::chmod(e.path().c_str(), e.is_directory() ? 0700 : 0600) == 0);
    }
    REQUIRE(::chmod(root.c_str(), 0700) == 0);
    std::istringstream facts(ReadAll(kFixture + "/facts.txt"));
    for (std::string key, value; facts >> key && std::getline(facts, value);) {
      fact[key] = value.substr(1);
    }
    for (const char* c : {"c-pull", "c-load"}) {
      fs::create_directories(root + "/overlay-containers/" + fact[c] + "/userdata");
    }
    mountinfo =
        tmp_.Write("mountinfo", moat::testing::WithDir(ReadAll(kFixture + "/mountinfo"), root));
  }

  PodmanResolveInput Input(const std::string& name) {
    PodmanResolveInput in;
    in.container_id = fact[name];
    in.bundle = root + "/overlay-containers/" + in.container_id + "/userdata";
    in.root_path = root + "/overlay/" + fact[name + "-layer"] + "/merged";
    in.podman_root = root;
    in.mountinfo = mountinfo;
    in.trusted_uid = ::geteuid();
    return in;
  }

  /// Replaces every occurrence of `from` (there must be one) in `path`.
  static void ReplaceIn(const std::string& path, const std::string& from, const std::string& to) {
    std::string text = ReadAll(path);
    REQUIRE(text.find(from) != std::string::npos);
    for (size_t at = text.find(from); at != std::string::npos;
         at = text.find(from, at + to.size())) {
      text.replace(at, from.size(), to);
    }
    std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
  }
  /// ReplaceIn for root/rel (its mode kept).
  void Replace(const std::string& rel, const std::string& from, const std::string& to) {
    ReplaceIn(root + "/" + rel, from, to);
  }
  void Append(const std::string& rel, const std::string& more) {
    std::ofstream(root + "/" + rel, std::ios::binary | std::ios::app) << more;
  }
  /// Writes root/rel, 0600.
  void Write(const std::string& rel, const std::string& text) {
    const std::string path = root + "/" + rel;
    std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
    REQUIRE(::chmod(path.c_str(), 0600) == 0);
  }
  std::string BigData(const std::string& image, const std::string& key) {
    return BigDataPath(Hex(fact[image]), key);
  }

  std::string dir;
  std::string root;
  std::string mountinfo;
  std::map<std::string, std::string> fact;

 private:
  moat::testing::TestDir tmp_;
};

std::string Fails(const PodmanResolveInput& in) { return FailureOf(ResolvePodman(in)); }

}  // namespace

TEST_CASE("podman: layer ids and big-data file names as containers/storage writes them",
          "[podman]") {
  Storage s;
  // layers.json of the pulled image: base 8c4d.., then 2391.. over it.
  const std::string base = "8c4dbb8f12efd2551f77c587898e9c26098520ed428140ca67121adc667d1660";
  CHECK(LayerIds({}).empty());
  CHECK(LayerIds({"sha256:" + base,
                  "sha256:4e40880b4899da481feb4d31cfeb974a10dc9267ce37ecdbdd99d0346ca3e006"}) ==
        std::vector<std::string>{
            base, "2391f166e0cf6d3842d40bb5d69373972b90f4bd071271323709584c743eda09"});
  const std::string image = s.fact["loaded-image"];
  CHECK(BigDataPath(Hex(image), "manifest") == "overlay-images/" + Hex(image) + "/manifest");
  CHECK(BigDataPath(Hex(image), "a.b9") == "overlay-images/" + Hex(image) + "/a.b9");
  // The file podman wrote for the config, key "sha256:<id>".
  CHECK(fs::exists(s.root + "/" + BigDataPath(Hex(image), image)));
  CHECK(BigDataPath(Hex(image), image) == "overlay-images/" + Hex(image) +
                                              "/="
                                              "c2hhMjU2OjE5MTk0YjQwNTBiZjNmMWZhYzRlMDFkY2FlMzEyMDYz"
                                              "NDE3NWQ1M2E0MmQ5ODljODFlZWE3MWYzMjU3ZWUxNWU=");
  CHECK(BigDataPath("x", "Ma") == "overlay-images/x/=TWE=");
  CHECK(BigDataPath("x", "M") == "overlay-images/x/=TQ==");
}

TEST_CASE("podman: a pulled image resolves with the registry's index and manifest", "[podman]") {
  Storage s;
  auto id = ResolvePodman(s.Input("c-pull"));
  REQUIRE(id.ok());
  const std::string reg = s.fact["registry"];
  CHECK(id->engine == Engine::kPodman);
  CHECK(id->config_digest == s.fact["pulled-image"]);
  CHECK(id->used_reference == reg + "/moat/busybox:1");
  CHECK(id->tags == std::vector<std::string>{reg + "/moat/busybox:1", reg + "/moat/renamed:1"});
  REQUIRE(id->manifests.size() == 2);
  const std::vector<std::string> repos = {reg + "/moat/busybox", reg + "/moat/renamed"};
  CHECK(id->manifests[0].digest == s.fact["registry-manifest"]);
  CHECK(Sha256Digest(id->manifests[0].bytes) == s.fact["registry-manifest"]);
  CHECK(id->manifests[0].media_type == "application/vnd.oci.image.manifest.v1+json");
  CHECK(id->manifests[0].repositories == repos);
  CHECK(id->manifests[0].via_index == std::vector<std::string>{s.fact["registry-index"]});
  CHECK(id->manifests[1].digest == s.fact["registry-index"]);
  CHECK(id->manifests[1].media_type == "application/vnd.oci.image.index.v1+json");
  CHECK(id->manifests[1].repositories == repos);
  CHECK(HasEvidence(*id, "its 2 rootfs.diff_ids are the container layer's parents"));
  CHECK(HasEvidence(*id, "is the overlay of layer " + s.fact["c-pull-layer"]));
  CHECK(HasEvidence(*id, "it selects " + s.fact["registry-manifest"] + " (linux/amd64)"));
  CHECK(HasEvidence(*id, "used reference " + reg + "/moat/busybox:1"));

  SECTION("the graph root through a symlink, spelled as configured in paths") {
    REQUIRE(::symlink(s.root.c_str(), (s.dir + "/link").c_str()) == 0);
    PodmanResolveInput in = s.Input("c-pull");
    in.podman_root = s.dir + "/link/";
    in.bundle = s.dir + "/link/overlay-containers/" + in.container_id + "/userdata";
    in.root_path = s.dir + "/link/overlay/" + s.fact["c-pull-layer"] + "/merged";
    CHECK(IsPodmanBundle(in.bundle, in.container_id, in.podman_root));
    CHECK(ResolvePodman(in).ok());
  }
  SECTION("mount options relative to overlay/, as the driver writes long ones") {
    const std::string layer = s.fact["c-pull-layer"];
    Storage::ReplaceIn(s.mountinfo, s.root + "/overlay/l/", "l/");
    Storage::ReplaceIn(s.mountinfo, s.root + "/overlay/" + layer + "/diff", layer + "/diff");
    CHECK(ReadAll(s.mountinfo).find("upperdir=" + layer + "/diff,") != std::string::npos);
    CHECK(ResolvePodman(s.Input("c-pull")).ok());
  }
  SECTION("an image-name that no longer names the image is no used reference") {
    s.Replace("overlay-containers/containers.json",
              "\\\"image-name\\\":\\\"" + reg + "/moat/busybox:1",
              "\\\"image-name\\\":\\\"" + reg + "/moat/elsewhere:1");
    auto again = ResolvePodman(s.Input("c-pull"));
    REQUIRE(again.ok());
    CHECK(again->used_reference.empty());
    CHECK(HasEvidence(*again, "no longer names the image in images.json"));
    CHECK(again->manifests.size() == 2);
  }
}

TEST_CASE("podman: a podman-loaded image has only a manifest made locally", "[podman]") {
  Storage s;
  auto id = ResolvePodman(s.Input("c-load"));
  REQUIRE(id.ok());
  CHECK(id->config_digest == s.fact["loaded-image"]);
  CHECK(id->used_reference == "localhost/seed:1");
  CHECK(id->tags == std::vector<std::string>{"localhost/seed:1"});
  REQUIRE(id->manifests.size() == 1);
  CHECK(id->manifests[0].digest == s.fact["loaded-manifest"]);
  CHECK(id->manifests[0].digest != s.fact["registry-manifest"]);
  CHECK(id->manifests[0].media_type == "application/vnd.docker.distribution.manifest.v2+json");
  CHECK(id->manifests[0].repositories == std::vector<std::string>{"localhost/seed"});
  CHECK(HasEvidence(*id, "its 1 rootfs.diff_ids"));
}

TEST_CASE("podman: argv, bundle and root.path must be podman's", "[podman]") {
  Storage s;
  PodmanResolveInput in = s.Input("c-pull");
  CHECK(IsPodmanBundle(in.bundle, in.container_id, in.podman_root));
  CHECK_FALSE(IsPodmanBundle(in.bundle, s.fact["c-load"], in.podman_root));
  CHECK_FALSE(IsPodmanBundle(in.bundle + "/", in.container_id, in.podman_root));
  CHECK_FALSE(IsPodmanBundle(in.bundle, in.container_id, s.dir + "/nowhere"));
  SECTION("id") {
    in.container_id = "c-pull";
    CHECK(Fails(in).find("not 64 lower-case hex digits") != std::string::npos);
  }
  SECTION("another container's bundle") {
    in.container_id = s.fact["c-load"];
    CHECK(Fails(in).find("bundle \"" + in.bundle + "\" is not") != std::string::npos);
  }
  SECTION("a bundle that is a symlink") {
    fs::remove_all(in.bundle);
    REQUIRE(::symlink("/tmp", in.bundle.c_str()) == 0);
    CHECK(Fails(in).find("resolves to /tmp") != std::string::npos);
  }
  SECTION("root.path elsewhere") {
    in.root_path = s.root + "/overlay/" + s.fact["c-load-layer"] + "/merged";
    CHECK(Fails(in).find("root.path") != std::string::npos);
    in.root_path = "rootfs";
    CHECK(Fails(in).find("is not the container layer's") != std::string::npos);
  }
  SECTION("no record of the container") {
    s.Replace("overlay-containers/containers.json", "\"id\":\"" + in.container_id,
              "\"id\":\"" + std::string(64, 'a'));
    CHECK(Fails(in).find("containers.json: no container " + in.container_id) != std::string::npos);
  }
  SECTION("podman run --rootfs: no image") {
    const std::string image = Hex(s.fact["pulled-image"]);
    s.Replace("overlay-containers/containers.json", "\"image\":\"" + image, "\"image\":\"");
    s.Replace("overlay-containers/containers.json", "\\\"image-id\\\":\\\"" + image,
              "\\\"image-id\\\":\\\"");
    CHECK(Fails(in).find("(podman run --rootfs): no image identity") != std::string::npos);
  }
}

TEST_CASE("podman: every inconsistency in the store is an error", "[podman]") {
  Storage s;
  const PodmanResolveInput in = s.Input("c-pull");
  const std::string image = Hex(s.fact["pulled-image"]);
  const std::string top = "2391f166e0cf6d3842d40bb5d69373972b90f4bd071271323709584c743eda09";
  std::string want;
  SECTION("metadata names another image") {
    s.Replace("overlay-containers/containers.json", "\\\"image-id\\\":\\\"" + image,
              "\\\"image-id\\\":\\\"" + Hex(s.fact["loaded-image"]));
    want = "metadata: image-id";
  }
  SECTION("the image config") {
    s.Append(s.BigData("pulled-image", s.fact["pulled-image"]), " ");
    want = "not to the image id " + s.fact["pulled-image"];
  }
  SECTION("a manifest") {
    s.Append(s.BigData("pulled-image", "manifest-" + s.fact["registry-manifest"]), " ");
    want = "not to " + s.fact["registry-manifest"];
  }
  SECTION("the index") {
    s.Append(s.BigData("pulled-image", "manifest-" + s.fact["registry-index"]), " ");
    want = "not to " + s.fact["registry-index"];
  }
  SECTION("big-data-digests") {
    s.Replace("overlay-images/images.json", "\"manifest\":\"" + s.fact["registry-manifest"],
              "\"manifest\":\"" + s.fact["registry-index"]);
    want = "big-data-digests[\"manifest\"]";
  }
  SECTION("a manifest of another config") {
    std::string other = ReadAll(s.root + "/" + s.BigData("pulled-image", "manifest"));
    other.replace(other.find(s.fact["pulled-image"]), 71, s.fact["loaded-image"]);
    const std::string key = "manifest-" + Sha256Digest(other);
    s.Write(s.BigData("pulled-image", key), other);
    s.Replace("overlay-images/images.json", "\"manifest\",\"signature-",
              "\"manifest\",\"" + key + "\",\"signature-");
    want = "config.digest " + s.fact["loaded-image"] + " is not the image id";
  }
  SECTION("a layer's diff-digest") {
    s.Replace("overlay-layers/layers.json", "\"diff-digest\":\"sha256:4e40",
              "\"diff-digest\":\"sha256:4e41");
    want = "layer " + top + ": diff-digest";
  }
  SECTION("the image's top layer") {
    s.Replace("overlay-images/images.json", "\"layer\":\"" + top,
              "\"layer\":\"" + std::string(64, 'b'));
    want = "is not the top layer " + std::string(64, 'b');
  }
  SECTION("a layer id that its diff id does not give") {
    const std::string other(64, 'b');
    s.Replace("overlay-layers/layers.json", top, other);
    s.Replace("overlay-images/images.json", "\"layer\":\"" + top, "\"layer\":\"" + other);
    fs::rename(s.root + "/overlay/" + top, s.root + "/overlay/" + other);
    want = "layer 1 of the image is " + other + ", not the id " + top;
  }
  SECTION("a missing parent layer") {
    s.Replace("overlay-layers/layers.json", "\"id\":\"" + top, "\"id\":\"" + std::string(64, 'b'));
    want = "layers.json: no layer " + top + " (parent of " + s.fact["c-pull-layer"] + ")";
  }
  SECTION("a cycle of layers") {
    const std::string base = "8c4dbb8f12efd2551f77c587898e9c26098520ed428140ca67121adc667d1660";
    s.Replace("overlay-layers/layers.json", "\"id\":\"" + base + "\",\"created\"",
              "\"id\":\"" + base + "\",\"parent\":\"" + s.fact["c-pull-layer"] + "\",\"created\"");
    want = "layer " + s.fact["c-pull-layer"] + " is its own ancestor";
  }
  SECTION("the image gone") {
    s.Replace("overlay-images/images.json", "\"id\":\"" + image,
              "\"id\":\"" + std::string(64, 'b'));
    want = "images.json: no image " + image;
  }
  SECTION("a link") {
    s.Write("overlay/" + top + "/link", "AAAAAAAAAAAAAAAAAAAAAAAAAA");
    want = "lowerdir 1 " + s.root + "/overlay/l/";
  }
  SECTION("nothing mounted") {
    std::ofstream(s.mountinfo, std::ios::trunc) << "";
    want = "nothing is mounted there";
  }
  SECTION("a group-writable record") {
    REQUIRE(::chmod((s.root + "/overlay-images/images.json").c_str(), 0620) == 0);
    want = "group- or world-writable";
  }
  SECTION("a symlink below the graph root") {
    fs::rename(s.root + "/overlay-images", s.dir + "/images");
    REQUIRE(::symlink((s.dir + "/images").c_str(), (s.root + "/overlay-images").c_str()) == 0);
    want = "is a symbolic link, refused";
  }
  SECTION("a record twice") {
    const std::string text = ReadAll(s.root + "/overlay-layers/layers.json");
    s.Write("overlay-layers/layers.json",
            text.substr(0, text.size() - 1) + "," + text.substr(1, text.find("},{")) + "]");
    want = "is recorded twice";
  }
  SECTION("duplicate keys") {
    s.Replace("overlay-containers/containers.json", "\"names\":[\"c-pull\"]",
              "\"Image\":\"x\",\"names\":[\"c-pull\"]");
    want = "duplicate key";
  }
  CAPTURE(want);
  CHECK(Fails(in).find(want) != std::string::npos);
}
