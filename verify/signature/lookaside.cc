#include "verify/signature/lookaside.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "base/fs.h"
#include "base/unique_fd.h"

namespace moat::verify {

Result<std::vector<StoredSignature>> ReadLookasideSignatures(const std::string& dir,
                                                             const LookasideLimits& limits) {
  std::vector<StoredSignature> out;
  UniqueFd dfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!dfd.valid()) {
    const int saved = errno;
    if (saved == ENOENT) return out;  // no signatures stored for this manifest
    // O_DIRECTORY|O_NOFOLLOW on a symlink fails with ENOTDIR, not ELOOP.
    struct stat st {};
    if ((saved == ELOOP || saved == ENOTDIR) && ::lstat(dir.c_str(), &st) == 0 &&
        S_ISLNK(st.st_mode)) {
      return Error{dir + ": is a symbolic link, refused", ELOOP};
    }
    return ErrnoError(dir + ": cannot open signature directory", saved);
  }
  for (size_t n = 1;; ++n) {
    const std::string name = "signature-" + std::to_string(n);
    const std::string path = dir + "/" + name;
    auto fd = OpenRegularAt(dfd.get(), name, path);
    if (!fd.ok()) {
      if (fd.error().err == ENOENT) break;
      return fd.error();
    }
    if (n > limits.max_files) {
      return Error{dir + ": more than " + std::to_string(limits.max_files) +
                   " signature files, refused"};
    }
    auto bytes = ReadFd(fd->get(), path, limits.max_file_bytes);
    if (!bytes.ok()) return bytes.error();
    out.push_back(StoredSignature{path, std::move(bytes.value())});
  }
  return out;
}

}  // namespace moat::verify
