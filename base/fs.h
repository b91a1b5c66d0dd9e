// File access for security-sensitive paths: no symlink following at the last
// component, size limits, ownership checks, atomic replacement.
#pragma once

#include <sys/stat.h>

#include <string>

#include "base/status.h"
#include "base/unique_fd.h"

namespace moat {

/// Opens a directory (following symlinks in the path, as callers name bundles
/// through /var/run and the like) with O_DIRECTORY|O_CLOEXEC.
Result<UniqueFd> OpenDir(const std::string& path);

/// Opens `name` inside `dirfd` read-only, refusing symlinks and non-regular files.
Result<UniqueFd> OpenRegularAt(int dirfd, const std::string& name, const std::string& display);

/// Reads the whole of a regular file, refusing more than max_bytes.
Result<std::string> ReadFd(int fd, const std::string& display, size_t max_bytes);

/// Opens and reads `path` (last component not followed), at most max_bytes.
Result<std::string> ReadFileNoFollow(const std::string& path, size_t max_bytes,
                                     struct stat* st_out = nullptr);

/// Refuses a file that a user other than root could change: not owned by root,
/// or writable by group or others. `display` names it in the error.
Status CheckRootOwned(const struct stat& st, const std::string& display);

/// Refuses a directory in which someone other than root could replace entries:
/// owned by non-root, or group/world-writable without the sticky bit.
Status CheckDirNotHijackable(int dirfd, const std::string& display);

/// Atomically replaces `name` in `dirfd` with `data`: an unnamed temporary
/// file in the same directory (O_TMPFILE; else a named one, O_EXCL and
/// O_NOFOLLOW), same mode and owner as `like` when given, fsync, linked as
/// ".<name>.moat-<random>" and renamed over `name`, fsync of the directory.
/// A kill can leave that name only between the link and the rename; the
/// temporary file is removed on failure.
Status ReplaceFileAt(int dirfd, const std::string& name, const std::string& data,
                     const struct stat* like, const std::string& display);

/// Removes what ReplaceFileAt(dirfd, name, ...) left when killed between
/// the link and the rename: regular files named ".<name>.moat-*" last
/// modified at least `min_age_seconds` ago (a younger one may belong to a
/// replace in flight). Returns how many were removed; errors are ignored.
size_t RemoveStaleTemporaries(int dirfd, const std::string& name, int min_age_seconds);

/// A file opened so that what is read is what a later reader (runc) sees:
/// its directory lets no one but root replace entries, and the file itself
/// is a regular file (not a symlink) owned by root and not group/world-writable.
struct TrustedFile {
  UniqueFd dir;
  UniqueFd fd;
  struct stat st {};
  std::string name;  // last component, for ReplaceFileAt(dir, name, ...)
};
Result<TrustedFile> OpenTrustedFile(const std::string& path);

/// Splits "/a/b/c" into "/a/b" and "c". A name without slash has dir ".".
std::pair<std::string, std::string> SplitPath(const std::string& path);

/// Creates a directory and its parents with `mode` (existing ones are kept).
Status MakeDirs(const std::string& path, mode_t mode);

}  // namespace moat
