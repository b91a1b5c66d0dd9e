// Shared by the Docker, containerd and podman resolver tests: the image
// documents their synthetic stores hold, and the checks on what a resolver
// returns.
#pragma once

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "base/json.h"
#include "base/status.h"
#include "tests/unit/test_dir.h"
#include "verify/identity/identity.h"

namespace moat::testing {

inline const std::string kOciManifest = "application/vnd.oci.image.manifest.v1+json";
inline const std::string kOciIndex = "application/vnd.oci.image.index.v1+json";
inline const std::string kDockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
inline const std::string kDockerList = "application/vnd.docker.distribution.manifest.list.v2+json";

/// "sha256:<hex>" → "<hex>".
inline std::string Hex(const std::string& digest) { return digest.substr(7); }

inline std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// An image config with these diff_ids; `extra` is inserted before "rootfs"
/// as is (members with a trailing comma).
inline std::string ImageConfig(const std::vector<std::string>& diff_ids, const std::string& extra,
                               const std::string& type) {
  std::string ids;
  for (const std::string& d : diff_ids) ids += (ids.empty() ? "" : ",") + json::Quote(d);
  return R"({"architecture":"amd64","os":"linux",)" + extra + R"("rootfs":{"type":)" +
         json::Quote(type) + R"(,"diff_ids":[)" + ids + "]}}";
}

/// A manifest naming `config_digest`; an empty `media_type` leaves the
/// member out. The config's media type is Docker's for a Docker manifest.
inline std::string Manifest(const std::string& config_digest, const std::string& media_type) {
  const std::string config_type = media_type == kDockerManifest
                                      ? "application/vnd.docker.container.image.v1+json"
                                      : "application/vnd.oci.image.config.v1+json";
  const std::string mt =
      media_type.empty() ? "" : R"("mediaType":)" + json::Quote(media_type) + ",";
  return R"({"schemaVersion":2,)" + mt + R"("config":{"mediaType":)" + json::Quote(config_type) +
         R"(,"size":1,"digest":)" + json::Quote(config_digest) + R"(},"layers":[]})";
}

/// An index (or Docker list) of linux manifests: (digest, architecture)
/// pairs, each entry of `entry_type`; an empty `media_type` leaves it out.
inline std::string Index(const std::vector<std::pair<std::string, std::string>>& entries,
                         const std::string& media_type, const std::string& entry_type) {
  std::string items;
  for (const auto& [digest, arch] : entries) {
    items += (items.empty() ? "" : ",") + std::string(R"({"mediaType":)") +
             json::Quote(entry_type) + R"(,"size":1,"digest":)" + json::Quote(digest) +
             R"(,"platform":{"architecture":)" + json::Quote(arch) + R"(,"os":"linux"}})";
  }
  const std::string mt =
      media_type.empty() ? "" : R"("mediaType":)" + json::Quote(media_type) + ",";
  return R"({"schemaVersion":2,)" + mt + R"("manifests":[)" + items + "]}";
}

inline bool HasEvidence(const verify::ImageIdentity& id, const std::string& fragment) {
  for (const std::string& e : id.evidence) {
    if (e.find(fragment) != std::string::npos) return true;
  }
  return false;
}

/// The error a resolver gave; fails the test if it succeeded.
template <typename T>
std::string FailureOf(const Result<T>& r) {
  REQUIRE_FALSE(r.ok());
  return r.error().Describe();
}

}  // namespace moat::testing
