// The mount table as /proc/<pid>/mountinfo lists it (proc(5)), for checking
// that a container's rootfs is the overlay its engine says it is, and for
// judging a bind source by the host object behind it.
//
// Parsed by hand rather than with libmount: Debian ships no static libmount,
// and moat-runtime is a static PIE.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace moat {

/// One line of mountinfo, with the kernel's octal escapes (\040 and the
/// like) undone in every field and in each super option.
struct MountEntry {
  uint64_t id = 0;                         // field 1: the mount id (statx's stx_mnt_id)
  uint64_t parent = 0;                     // field 2
  std::string dev;                         // field 3: "major:minor" of the filesystem (st_dev)
  std::string root;                        // field 4: the mounted directory within its filesystem
  std::string mount_point;                 // field 5
  std::vector<std::string> mount_options;  // field 6 ("ro", "nosuid", ...)
  std::string fs_type;                     // after " - "
  std::string source;
  /// Super options split at the commas between them ("lowerdir=/a:/b").
  std::vector<std::string> super_options;

  /// The value of super option `key=`; nullopt when absent.
  std::optional<std::string> Option(std::string_view key) const;
};

/// Parses a whole mountinfo text; `display` names it in errors
/// ("/proc/self/mountinfo: line 3: ...").
Result<std::vector<MountEntry>> ParseMountInfo(std::string_view text, const std::string& display);

/// The mount visible at `mount_point`: the last one listed there (mounts on
/// the same point stack, latest on top); nullopt when nothing is mounted there.
std::optional<MountEntry> TopMountAt(const std::vector<MountEntry>& mounts,
                                     std::string_view mount_point);

/// overlayfs' lowerdir option split into layers, top first. Only what the
/// kernel shows for a plain "lowerdir=a:b:c" is accepted: an empty layer
/// ("::", data-only layers) or a backslash escape is an error.
Result<std::vector<std::string>> SplitLowerDirs(std::string_view lowerdir);

/// The overlay mounted at `mount_point`, as a mount table file lists it.
struct OverlayMount {
  std::string upper;
  std::vector<std::string> lower;  // top first
  std::string shown;               // "<mount_point> (<mountinfo>)", for messages
};

/// Reads `mountinfo` (a file such as /proc/self/mountinfo) and returns the
/// overlay visible at `mount_point`; an error when nothing, something other
/// than an overlay, or an overlay without upperdir or lowerdir is there.
Result<OverlayMount> ReadOverlayMount(const std::string& mountinfo, const std::string& mount_point);

}  // namespace moat
