// verify/identity/image_copy.h: the identity of a dir:/oci: copy of an image,
// from its manifests alone.
#include "verify/identity/image_copy.h"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "tests/unit/test_dir.h"
#include "tests/unit/verify/identity/resolver_fixture.h"
#include "verify/identity/docker_tree.h"
#include "verify/identity/oci_layout.h"

namespace moat::verify {
namespace {

using testing::FailureOf;
using testing::HasEvidence;
using testing::Hex;
using testing::TestDir;

const std::string kConfig = "sha256:" + std::string(64, 'c');

std::string Digest(const std::string& bytes) { return docker::Sha256Digest(bytes); }

TEST_CASE("dir: copy with only manifest.json and signatures", "[image_copy]") {
  TestDir d;
  const std::string m = testing::Manifest(kConfig, testing::kDockerManifest);
  d.Write("manifest.json", m);
  d.Write("signature-1", "one");
  d.Write("signature-2", "two");
  d.Write("signature-4", "after a gap: not read");
  auto id = ResolveDirCopy(d.path(), "busybox");
  REQUIRE(id.ok());
  CHECK(id->engine == Engine::kCopy);
  CHECK(id->used_reference == "docker.io/library/busybox:latest");
  CHECK(id->config_digest == kConfig);
  REQUIRE(id->manifests.size() == 1);
  CHECK(id->manifests[0].digest == Digest(m));
  CHECK(id->manifests[0].repositories == std::vector<std::string>{"docker.io/library/busybox"});
  CHECK(id->own_signatures);
  REQUIRE(id->copy_signatures.size() == 2);
  CHECK(id->copy_signatures[1].bytes == "two");
  CHECK(id->copy_signatures[0].manifest_digest == Digest(m));
  CHECK(HasEvidence(*id, "config blob not read"));
}

TEST_CASE("dir: copy of an index, with and without the platform manifest", "[image_copy]") {
  TestDir d;
  const std::string amd = testing::Manifest(kConfig, testing::kOciManifest);
  const std::string arm =
      testing::Manifest("sha256:" + std::string(64, 'd'), testing::kOciManifest);
  const std::string index = testing::Index({{Digest(arm), "arm64"}, {Digest(amd), "amd64"}},
                                           testing::kOciIndex, testing::kOciManifest);
  d.Write("manifest.json", index);
  d.Write("signature-1", "over the index");
  SECTION("instance absent: only the index") {
    auto id = ResolveDirCopy(d.path(), "registry.example/app:1");
    REQUIRE(id.ok());
    REQUIRE(id->manifests.size() == 1);
    CHECK(id->manifests[0].digest == Digest(index));
    CHECK(id->config_digest.empty());
    CHECK(id->copy_signatures.size() == 1);
  }
  SECTION("instance present: index and linux/amd64") {
    d.Write(Hex(Digest(amd)) + ".manifest.json", amd);
    d.Write(Hex(Digest(amd)) + ".signature-1", "over amd64");
    auto id = ResolveDirCopy(d.path(), "registry.example/app:1");
    REQUIRE(id.ok());
    REQUIRE(id->manifests.size() == 2);
    CHECK(id->manifests[1].digest == Digest(amd));
    CHECK(id->manifests[1].via_index == std::vector<std::string>{Digest(index)});
    CHECK(id->config_digest == kConfig);
    REQUIRE(id->copy_signatures.size() == 2);
    CHECK(id->copy_signatures[1].manifest_digest == Digest(amd));
  }
  SECTION("instance that does not hash to its name") {
    d.Write(Hex(Digest(amd)) + ".manifest.json", arm);
    CHECK_THAT(FailureOf(ResolveDirCopy(d.path(), "registry.example/app:1")),
               Catch::Contains(".manifest.json: content does not hash to"));
  }
}

TEST_CASE("dir: bad input is an error naming the file", "[image_copy]") {
  TestDir d;
  SECTION("no reference") {
    CHECK_THAT(FailureOf(ResolveDirCopy(d.path(), "")), Catch::Contains("--reference"));
  }
  SECTION("missing manifest.json") {
    CHECK_THAT(FailureOf(ResolveDirCopy(d.path(), "a/b:1")), Catch::Contains("manifest.json"));
  }
  SECTION("malformed manifest.json") {
    d.Write("manifest.json", R"({"schemaVersion":2,"config":{"digest":"md5:x"},"layers":[]})");
    CHECK_THAT(FailureOf(ResolveDirCopy(d.path(), "a/b:1")), Catch::Contains("manifest.json"));
  }
  SECTION("symlinked manifest.json") {
    const std::string real = d.Write("real.json", testing::Manifest(kConfig, ""));
    REQUIRE(::symlink(real.c_str(), (d.path() + "/manifest.json").c_str()) == 0);
    CHECK_THAT(FailureOf(ResolveDirCopy(d.path(), "a/b:1")), Catch::Contains("manifest.json"));
  }
  SECTION("symlinked signature") {
    d.Write("manifest.json", testing::Manifest(kConfig, ""));
    const std::string real = d.Write("sig", "x");
    REQUIRE(::symlink(real.c_str(), (d.path() + "/signature-1").c_str()) == 0);
    CHECK_THAT(FailureOf(ResolveDirCopy(d.path(), "a/b:1")), Catch::Contains("signature-1"));
  }
  SECTION("oversized manifest.json") {
    d.Write("manifest.json", std::string((4u << 20) + 1, ' '));
    CHECK_THAT(FailureOf(ResolveDirCopy(d.path(), "a/b:1")), Catch::Contains("manifest.json"));
  }
  SECTION("a reference by another digest") {
    d.Write("manifest.json", testing::Manifest(kConfig, ""));
    CHECK_THAT(FailureOf(ResolveDirCopy(d.path(), "a/b@sha256:" + std::string(64, 'e'))),
               Catch::Contains("--reference: sha256:eeee"));
  }
  SECTION("bad reference") {
    d.Write("manifest.json", testing::Manifest(kConfig, ""));
    CHECK_FALSE(ResolveDirCopy(d.path(), "library/Upper:1").ok());
  }
}

TEST_CASE("oci: copy: the manifest index.json names, no config blob", "[image_copy]") {
  TestDir d;
  const std::string m = testing::Manifest(kConfig, testing::kOciManifest);
  d.Write("oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
  d.Write("blobs/sha256/" + Hex(Digest(m)), m);
  auto index = [&](const std::string& name) {
    return R"({"schemaVersion":2,"manifests":[{"mediaType":")" + testing::kOciManifest +
           R"(","size":1,"digest":")" + Digest(m) +
           R"(","annotations":{"org.opencontainers.image.ref.name":")" + name + R"("}}]})";
  };
  SECTION("a full docker reference as the name") {
    d.Write("index.json", index("registry.example/app:1"));
    auto id = ResolveOciCopy(d.path(), "registry.example/app:1", "");
    REQUIRE(id.ok());
    CHECK(id->used_reference == "registry.example/app:1");
    CHECK_FALSE(id->own_signatures);
    REQUIRE(id->manifests.size() == 1);
    CHECK(id->config_digest == kConfig);
  }
  SECTION("--reference wins over the name") {
    d.Write("index.json", index("registry.example/app:1"));
    auto id = ResolveOciCopy(d.path(), "", "registry.example/other:2");
    REQUIRE(id.ok());
    CHECK(id->used_reference == "registry.example/other:2");
  }
  SECTION("a bare tag names no repository") {
    d.Write("index.json", index("1.0"));
    auto id = ResolveOciCopy(d.path(), "1.0", "");
    REQUIRE(id.ok());
    CHECK(id->used_reference.empty());
  }
  SECTION("an unknown name") {
    d.Write("index.json", index("1.0"));
    CHECK_THAT(FailureOf(ResolveOciCopy(d.path(), "2.0", "")),
               Catch::Contains("index.json: manifests: no manifest named"));
  }
  SECTION("malformed index.json") {
    d.Write("index.json", R"({"manifests":[{"digest":7}]})");
    CHECK_THAT(FailureOf(ResolveOciCopy(d.path(), "", "")),
               Catch::Contains("index.json: manifests[0].digest"));
  }
  SECTION("a manifest blob that does not hash to its name") {
    d.Write("index.json", index("1.0"));
    d.Write("blobs/sha256/" + Hex(Digest(m)), m + " ");
    CHECK_THAT(FailureOf(ResolveOciCopy(d.path(), "", "")),
               Catch::Contains("content does not hash to its name"));
  }
}

}  // namespace
}  // namespace moat::verify
