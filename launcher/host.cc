#include "launcher/host.h"

#include <sys/stat.h>

#include <climits>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>

namespace moat::launcher {

namespace {

std::string NsFileName(const std::string& oci_type) {
  if (oci_type == "network") return "net";
  if (oci_type == "mount") return "mnt";
  return oci_type;  // pid, ipc, uts, cgroup, user, time
}

bool SameFile(const struct stat& a, const char* path) {
  struct stat b {};
  if (::stat(path, &b) != 0) return false;
  return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

}  // namespace

bool HostSystem::IsHostNamespace(const std::string& type, const std::string& path) const {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return true;  // cannot tell: treat as the host's
  const std::string ns = NsFileName(type);
  return SameFile(st, ("/proc/1/ns/" + ns).c_str()) ||
         SameFile(st, ("/proc/self/ns/" + ns).c_str());
}

std::string HostSystem::RealPath(const std::string& path) const {
  struct Free {
    void operator()(char* p) const { std::free(p); }
  };
  std::unique_ptr<char, Free> r(::realpath(path.c_str(), nullptr));
  if (r) return r.get();
  return CleanPath(path);
}

std::vector<std::string> HostSystem::EngineSockets() const {
  // Every bound unix socket on the host, by path; keep the engines' ones.
  std::vector<std::string> out;
  std::ifstream in("/proc/net/unix");
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string f, path;
    for (int i = 0; i < 7 && fields >> f; ++i) {
    }
    if (!(fields >> path) || path.empty() || path[0] != '/') continue;
    auto slash = path.rfind('/');
    if (IsEngineSocketName(path.substr(slash + 1))) out.push_back(RealPath(path));
  }
  return out;
}

bool IsEngineSocketName(const std::string& base) {
  static const char* const kNames[] = {
      "docker.sock",           "containerd.sock", "crio.sock",
      "podman.sock",           "dockershim.sock", "cri-dockerd.sock",
      "containerd.sock.ttrpc", "buildkitd.sock"};
  for (const char* n : kNames) {
    if (base == n) return true;
  }
  return false;
}

std::string CleanPath(const std::string& path) {
  std::vector<std::string> parts;
  std::string part;
  std::istringstream in(path);
  while (std::getline(in, part, '/')) {
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (!parts.empty()) parts.pop_back();
      continue;
    }
    parts.push_back(part);
  }
  std::string out;
  for (const auto& p : parts) out += "/" + p;
  return out.empty() ? "/" : out;
}

}  // namespace moat::launcher
