#include "launcher/host.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>

#include "base/fs.h"
#include "base/unique_fd.h"

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

const std::vector<MountEntry>& HostSystem::Mounts() const {
  if (!mounts_read_) {
    mounts_read_ = true;
    // An unreadable table leaves it empty: every Resolve then fails, a deny.
    auto text = ReadFileNoFollow("/proc/self/mountinfo", 16u << 20);
    if (text.ok()) {
      auto parsed = ParseMountInfo(*text, "/proc/self/mountinfo");
      if (parsed.ok()) mounts_ = std::move(parsed.value());
    }
  }
  return mounts_;
}

Result<HostObject> HostSystem::Resolve(const std::string& path) const {
  if (path.empty() || path[0] != '/') return Error{path + ": not an absolute host path"};
  struct Free {
    void operator()(char* p) const { std::free(p); }
  };
  // runc's mount(2) follows symlinks in the source: resolve them the same way.
  std::unique_ptr<char, Free> real(::realpath(path.c_str(), nullptr));
  if (!real) return Error{path + ": cannot be resolved", errno};
  // O_PATH|O_NOFOLLOW: the resolved path names no symlink; if one appeared
  // since, this opens the link itself and statx sees a symlink, refused.
  UniqueFd fd(::open(real.get(), O_PATH | O_CLOEXEC | O_NOFOLLOW));
  if (!fd.valid()) return Error{std::string(real.get()) + ": cannot be opened", errno};
  struct statx sx {};
  if (::statx(fd.get(), "", AT_EMPTY_PATH, STATX_TYPE | STATX_INO | STATX_MNT_ID, &sx) != 0) {
    return Error{std::string(real.get()) + ": statx", errno};
  }
  if (S_ISLNK(sx.stx_mode)) return Error{std::string(real.get()) + ": became a symlink"};
  const std::string dev = std::to_string(sx.stx_dev_major) + ":" + std::to_string(sx.stx_dev_minor);
  const uint64_t mount_id = (sx.stx_mask & STATX_MNT_ID) != 0 ? sx.stx_mnt_id : 0;
  return LocateHostObject(real.get(), dev, mount_id, Mounts());
}

HostLsm HostSystem::Lsm() const {
  HostLsm lsm;
  struct stat st {};
  if (::stat("/sys/kernel/security/apparmor", &st) == 0 && S_ISDIR(st.st_mode)) {
    auto enabled = ReadFileNoFollow("/sys/module/apparmor/parameters/enabled", 64);
    lsm.apparmor = enabled.ok() && enabled->rfind('Y', 0) == 0;
  }
  for (const MountEntry& m : Mounts()) {
    if (m.fs_type != "selinuxfs") continue;
    auto enforce = ReadFileNoFollow(m.mount_point + "/enforce", 64);
    lsm.selinux = lsm.selinux || (enforce.ok() && enforce->rfind('1', 0) == 0);
  }
  return lsm;
}

std::string HostSystem::AppArmorMode(const std::string& name) const {
  auto text = ReadFileNoFollow("/sys/kernel/security/apparmor/profiles", 16u << 20);
  return text.ok() ? AppArmorModeIn(*text, name) : "";
}

std::string AppArmorModeIn(const std::string& profiles, const std::string& name) {
  std::istringstream in(profiles);
  std::string line;
  while (std::getline(in, line)) {
    // "NAME (MODE)"; NAME may itself hold spaces and parentheses.
    const size_t open = line.rfind(" (");
    if (open == std::string::npos || line.back() != ')') continue;
    if (open != name.size() || line.compare(0, open, name) != 0) continue;
    return line.substr(open + 2, line.size() - open - 3);
  }
  return "";
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
