// A described host for deny-rule tests.
#pragma once

#include <catch2/catch.hpp>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "launcher/host.h"
#include "launcher/profile.h"
#include "launcher/seccomp.h"

namespace moat::testing {

inline std::string ReadFixture(const std::string& rel) {
  std::ifstream in(std::string(MOAT_TEST_FIXTURES) + "/" + rel);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class FakeHost : public launcher::HostView {
 public:
  std::vector<std::string> host_ns_paths = {"/proc/1/ns/net", "/proc/1/ns/pid", "/proc/1/ns/ipc",
                                            "/proc/1/ns/uts", "/proc/1/ns/mnt"};
  std::vector<std::string> sockets = {"/run/docker.sock", "/run/containerd/containerd.sock"};

  bool IsHostNamespace(const std::string&, const std::string& path) const override {
    for (const auto& p : host_ns_paths) {
      if (p == path) return true;
    }
    return false;
  }
  std::string RealPath(const std::string& path) const override {
    if (path == "/var/run") return "/run";
    if (path.rfind("/var/run/", 0) == 0) return "/run/" + path.substr(9);
    return launcher::CleanPath(path);
  }
  std::vector<std::string> EngineSockets() const override { return sockets; }
  /// The host's mount table; Resolve locates paths in it by path alone.
  std::string mountinfo = ReadFixture("mountinfo/docker-host");
  Result<launcher::HostObject> Resolve(const std::string& path) const override {
    if (path.empty() || path[0] != '/') return Error{path + ": not absolute"};
    for (const auto& m : missing) {
      if (m == path) return Error{path + ": cannot be resolved", 2};
    }
    return launcher::LocateByTable(RealPath(path), Mounts());
  }
  const std::vector<MountEntry>& Mounts() const override {
    if (parsed_for_ != mountinfo) {
      auto p = ParseMountInfo(mountinfo, "mountinfo");
      REQUIRE(p.ok());
      mounts_ = std::move(p.value());
      parsed_for_ = mountinfo;
    }
    return mounts_;
  }
  std::vector<std::string> missing;
  /// The LSMs this host enforces, and AppArmor's loaded profiles by name.
  launcher::HostLsm lsm;
  std::vector<std::pair<std::string, std::string>> apparmor_modes = {{"docker-default", "enforce"}};
  launcher::HostLsm Lsm() const override { return lsm; }
  std::string AppArmorMode(const std::string& name) const override {
    for (const auto& [n, mode] : apparmor_modes) {
      if (n == name) return mode;
    }
    return "";
  }

 private:
  mutable std::vector<MountEntry> mounts_;
  mutable std::string parsed_for_;
};

inline std::string ReadFileText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline std::string ReadSource(const std::string& rel) {
  std::ifstream in(std::string(MOAT_SOURCE_DIR) + "/" + rel);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// profiles/NAME.json from the source tree, with the seccomp file it names
/// (also from the source tree) parsed and checked against this host, as
/// LoadProfile would, without LoadProfile's ownership checks.
inline launcher::Profile LoadSourceProfile(const std::string& name) {
  auto p = launcher::ParseProfile(ReadSource("profiles/" + name + ".json"), name, name + ".json");
  REQUIRE(p.ok());
  if (!p->seccomp.empty()) {
    auto f = launcher::ParseSeccompFile(ReadSource("profiles/" + p->seccomp), p->seccomp);
    REQUIRE(f.ok());
    auto host = launcher::ThisSeccompHost();
    REQUIRE(host.ok());
    Status st = launcher::CheckSeccompFile(&f.value(), *host);
    INFO(st.error().message);
    REQUIRE(st.ok());
    p->seccomp_file = std::make_shared<const launcher::SeccompFile>(std::move(f.value()));
  }
  return *p;
}

}  // namespace moat::testing
