// A described host for deny-rule tests.
#pragma once

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "launcher/host.h"

namespace moat::testing {

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
};

inline std::string ReadFixture(const std::string& rel) {
  std::ifstream in(std::string(MOAT_TEST_FIXTURES) + "/" + rel);
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

}  // namespace moat::testing
