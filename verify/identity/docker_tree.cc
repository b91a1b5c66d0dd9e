#include "verify/identity/docker_tree.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <cstdio>

#include "base/fs.h"
#include "verify/common/digest.h"

namespace moat::verify::docker {

std::string Sha256Digest(std::string_view bytes) {
  const std::string d = DigestOf(bytes);
  return d.empty() ? "sha256:(digest failed)" : d;  // equals no real digest
}

bool IsHex64(std::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

Result<Tree> Tree::Open(const std::string& path, const uid_t* owner) {
  Tree t;
  t.path_ = path;
  if (owner != nullptr) {
    t.check_owner_ = true;
    t.owner_ = *owner;
  }
  auto fd = OpenDir(path);
  if (!fd.ok()) return fd.error();
  t.fd_ = std::move(fd.value());
  MOAT_TRY(t.CheckOwner(t.fd_.get(), path));
  return t;
}

std::string Tree::Display(std::string_view rel) const { return path_ + "/" + std::string(rel); }

Status Tree::CheckOwner(int fd, const std::string& display) const {
  if (!check_owner_) return Status::Ok();
  struct stat st {};
  if (::fstat(fd, &st) != 0) return ErrnoError(display + ": cannot stat");
  if (st.st_uid != owner_) {
    return Error{display + ": owned by uid " + std::to_string(st.st_uid) + ", not " +
                 std::to_string(owner_) + ": refused"};
  }
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    char mode[8];
    (void)std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return Error{display + ": mode " + mode + " is group- or world-writable: refused"};
  }
  return Status::Ok();
}

Result<std::string> Tree::Read(std::string_view rel, size_t max_bytes) const {
  MOAT_ASSIGN_OR_RETURN(auto fd, OpenFile(rel));
  return ReadFd(fd.get(), Display(rel), max_bytes);
}

Result<UniqueFd> Tree::OpenFile(std::string_view rel) const {
  UniqueFd held;  // the current directory below the root, when not the root
  int dir = fd_.get();
  size_t pos = 0;
  for (size_t slash; (slash = rel.find('/', pos)) != std::string_view::npos; pos = slash + 1) {
    const std::string name(rel.substr(pos, slash - pos));
    const std::string shown = Display(rel.substr(0, slash));
    if (name.empty() || name == "." || name == "..") return Error{shown + ": bad path component"};
    UniqueFd next(::openat(dir, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!next.valid()) {
      const int saved = errno;
      struct stat st {};
      if ((saved == ELOOP || saved == ENOTDIR) &&
          ::fstatat(dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode)) {
        return Error{shown + ": is a symbolic link, refused", ELOOP};
      }
      return ErrnoError(shown + ": cannot open directory", saved);
    }
    MOAT_TRY(CheckOwner(next.get(), shown));
    held = std::move(next);
    dir = held.get();
  }
  const std::string shown = Display(rel);
  const std::string name(rel.substr(pos));
  if (name.empty() || name == "." || name == "..") return Error{shown + ": bad path component"};
  MOAT_ASSIGN_OR_RETURN(auto fd, OpenRegularAt(dir, name, shown));
  MOAT_TRY(CheckOwner(fd.get(), shown));
  return fd;
}

}  // namespace moat::verify::docker
