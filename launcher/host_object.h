// Host objects: a bind mount's source judged as what it exposes of the
// host, not by its path. A path is resolved as the kernel will when runc
// mounts it (symlinks followed), then located in the mount table: which
// filesystem it is on and where inside that filesystem it lies. A grant is
// resolved the same way; a source is allowed when it is the granted object
// or lies beneath it on the same filesystem.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/mountinfo.h"
#include "base/status.h"

namespace moat::launcher {

/// What a host path really is.
struct HostObject {
  std::string path;         // the path with symlinks resolved (what runc mounts)
  uint64_t mount_id = 0;    // the mount it is reached through
  std::string mount_point;  // that mount's mount point
  std::string dev;          // "major:minor" of the filesystem
  std::string fs_type;      // "ext4", "proc", "tmpfs", ...
  std::string fs_source;    // "/dev/vda", "proc", ...
  std::string in_fs;        // its path inside that filesystem
};

/// Locates `path` (absolute, clean, symlinks resolved) in `mounts`: through
/// the mount whose id is `mount_id` when that is nonzero (statx's
/// STX_MNT_ID), else through the deepest mount point above `path` whose
/// filesystem is `dev`, the last listed there. An error when none fits (the
/// table changed, or `path` is outside this mount namespace's view).
Result<HostObject> LocateHostObject(const std::string& path, const std::string& dev,
                                    uint64_t mount_id, const std::vector<MountEntry>& mounts);

/// Locates `path` by the table alone, as a host described by a table (tests,
/// fuzz) would stat it: through the deepest mount point above it, the last
/// listed there.
Result<HostObject> LocateByTable(const std::string& path, const std::vector<MountEntry>& mounts);

/// True when `obj` is `grant` or lies beneath it on the same filesystem.
bool IsWithin(const HostObject& obj, const HostObject& grant);

/// True when `obj` is on a tmpfs mounted at or below `root` (a clean host
/// path) and that tmpfs is mounted nowhere else: a private tmpfs an engine
/// made for one container (Docker's shm, kubelet's secret volumes), not a
/// bind of the host's /run or /dev/shm.
bool IsPrivateTmpfsUnder(const HostObject& obj, const std::string& root,
                         const std::vector<MountEntry>& mounts);

/// Filesystems that are the kernel's own views (proc, sysfs, cgroup, debugfs,
/// devtmpfs, ...), not files.
bool IsKernelFs(const std::string& fs_type);

/// Names the object for a message: "the host's /etc (a bind made outside
/// the container)", "the host's /proc/sys/kernel (proc filesystem)", "the
/// host's /v/_data (overlay filesystem of lowerdir=/etc:/usr/local/bin)",
/// "/x inside the ext4 filesystem /dev/vdb (254:16)".
std::string DescribeHostObject(const HostObject& obj, const std::vector<MountEntry>& mounts);

/// True if `path` is `dir` or lies below it (both clean and absolute).
bool PathIsUnder(const std::string& path, const std::string& dir);

}  // namespace moat::launcher
