// Reading dockerd's and containerd's files for the Docker resolver: below an
// opened root, no symlink is followed at any component, sizes are capped and,
// where the bytes are not content-addressed, owners are checked.
// Internal to verify/ (docker_resolver.cc, docker_manifests.cc,
// containerd_resolver.cc).
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

#include "base/status.h"
#include "base/unique_fd.h"

namespace moat::verify::docker {

/// "sha256:<64 lower-case hex>" of the bytes.
std::string Sha256Digest(std::string_view bytes);

/// True for exactly 64 lower-case hex digits.
bool IsHex64(std::string_view s);

/// A directory tree read without following symlinks below its root.
class Tree {
 public:
  /// Opens `path` (symlinks in it are followed: it comes from configuration).
  /// With `owner`, the root and everything read below it must be owned by
  /// *owner and not writable by group or others.
  static Result<Tree> Open(const std::string& path, const uid_t* owner);

  /// Reads the regular file `rel` ("a/b/file", no "." or ".." components),
  /// at most max_bytes. A missing component keeps errno ENOENT in the error.
  Result<std::string> Read(std::string_view rel, size_t max_bytes) const;

  /// Opens the regular file `rel` as Read does (same checks), without reading it.
  Result<UniqueFd> OpenFile(std::string_view rel) const;

  /// "<root>/<rel>", for messages.
  std::string Display(std::string_view rel) const;
  const std::string& path() const { return path_; }

 private:
  Status CheckOwner(int fd, const std::string& display) const;

  UniqueFd fd_;
  std::string path_;
  bool check_owner_ = false;
  uid_t owner_ = 0;
};

}  // namespace moat::verify::docker
