#include "launcher/host_object.h"

namespace moat::launcher {

namespace {

// `path` below `dir`, as a path relative to it ("" when equal).
std::string Rest(const std::string& path, const std::string& dir) {
  if (dir == "/") return path == "/" ? "" : path.substr(1);
  return path.size() == dir.size() ? "" : path.substr(dir.size() + 1);
}

std::string Join(const std::string& dir, const std::string& rest) {
  if (rest.empty()) return dir;
  return dir == "/" ? "/" + rest : dir + "/" + rest;
}

// An overlay shows its layers, host directories named nowhere else:
// "overlay filesystem of lowerdir=/etc:/usr/local/bin".
std::string DescribeOverlay(const HostObject& obj, const std::vector<MountEntry>& mounts) {
  std::string out = "overlay filesystem";
  for (const MountEntry& m : mounts) {
    if (m.id != obj.mount_id) continue;
    const char* sep = " of ";
    for (const char* key : {"lowerdir", "upperdir"}) {
      if (auto v = m.Option(key)) {
        out += sep + std::string(key) + "=" + *v;
        sep = ", ";
      }
    }
    break;
  }
  return out;
}

}  // namespace

bool PathIsUnder(const std::string& path, const std::string& dir) {
  if (dir == "/") return !path.empty() && path[0] == '/';
  return path == dir || (path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 &&
                         path[dir.size()] == '/');
}

Result<HostObject> LocateHostObject(const std::string& path, const std::string& dev,
                                    uint64_t mount_id, const std::vector<MountEntry>& mounts) {
  const MountEntry* best = nullptr;
  for (const MountEntry& m : mounts) {
    if (!PathIsUnder(path, m.mount_point)) continue;
    if (mount_id != 0) {
      if (m.id == mount_id) best = &m;
      continue;
    }
    if (m.dev != dev) continue;
    // Deeper wins; at the same point the last listed is on top.
    if (best == nullptr || m.mount_point.size() >= best->mount_point.size()) best = &m;
  }
  if (best == nullptr) {
    return Error{path + ": not found in the mount table (filesystem " + dev + ")"};
  }
  HostObject o;
  o.path = path;
  o.mount_id = best->id;
  o.mount_point = best->mount_point;
  o.dev = best->dev;
  o.fs_type = best->fs_type;
  o.fs_source = best->source;
  o.in_fs = Join(best->root, Rest(path, best->mount_point));
  return o;
}

Result<HostObject> LocateByTable(const std::string& path, const std::vector<MountEntry>& mounts) {
  const MountEntry* top = nullptr;
  for (const MountEntry& m : mounts) {
    if (PathIsUnder(path, m.mount_point) &&
        (top == nullptr || m.mount_point.size() >= top->mount_point.size())) {
      top = &m;
    }
  }
  if (top == nullptr) return Error{path + ": not found in the mount table"};
  return LocateHostObject(path, top->dev, top->id, mounts);
}

bool IsWithin(const HostObject& obj, const HostObject& grant) {
  return !obj.dev.empty() && obj.dev == grant.dev && PathIsUnder(obj.in_fs, grant.in_fs);
}

bool IsPrivateTmpfsUnder(const HostObject& obj, const std::string& root,
                         const std::vector<MountEntry>& mounts) {
  if (obj.fs_type != "tmpfs" || !PathIsUnder(obj.mount_point, root)) return false;
  for (const MountEntry& m : mounts) {
    if (m.dev == obj.dev && !PathIsUnder(m.mount_point, root)) return false;
  }
  return true;
}

bool IsKernelFs(const std::string& t) {
  static const char* const kTypes[] = {
      "proc",      "sysfs",    "cgroup", "cgroup2", "devtmpfs", "debugfs",    "securityfs",
      "tracefs",   "configfs", "bpf",    "pstore",  "efivarfs", "fusectl",    "binfmt_misc",
      "hugetlbfs", "mqueue",   "devpts", "nsfs",    "autofs",   "rpc_pipefs", "selinuxfs"};
  for (const char* k : kTypes) {
    if (t == k) return true;
  }
  return false;
}

std::string DescribeHostObject(const HostObject& obj, const std::vector<MountEntry>& mounts) {
  // Where the host itself shows this part of that filesystem: a mount of
  // the same filesystem whose root holds it, the one with the shallowest
  // root (the filesystem as mounted whole, not a bind of a part of it) and
  // then the shallowest mount point.
  const MountEntry* seen = nullptr;
  for (const MountEntry& m : mounts) {
    if (m.dev != obj.dev || !PathIsUnder(obj.in_fs, m.root)) continue;
    if (seen == nullptr || m.root.size() < seen->root.size() ||
        (m.root.size() == seen->root.size() && m.mount_point.size() < seen->mount_point.size())) {
      seen = &m;
    }
  }
  std::string what;
  if (seen != nullptr) {
    const std::string host_path = Join(seen->mount_point, Rest(obj.in_fs, seen->root));
    what = "the host's " + host_path;
    if (host_path != obj.path) {
      what += " (a bind made outside the container)";
    } else if (IsKernelFs(obj.fs_type)) {
      what += " (" + obj.fs_type + " filesystem)";
    } else if (obj.fs_type == "overlay") {
      what += " (" + DescribeOverlay(obj, mounts) + ")";
    }
  } else {
    what = obj.in_fs + " inside the " + obj.fs_type + " filesystem " + obj.fs_source + " (" +
           obj.dev + ")";
  }
  return what;
}

}  // namespace moat::launcher
