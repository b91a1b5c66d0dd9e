#include "base/fs.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/random.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <memory>
#include <string_view>

namespace moat {

Result<UniqueFd> OpenDir(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) return ErrnoError(path + ": cannot open directory");
  return fd;
}

Result<UniqueFd> OpenRegularAt(int dirfd, const std::string& name, const std::string& display) {
  UniqueFd fd(::openat(dirfd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
  if (!fd.valid()) {
    if (errno == ELOOP) return Error{display + ": is a symbolic link, refused"};
    return ErrnoError(display + ": cannot open");
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return ErrnoError(display + ": cannot stat");
  if (!S_ISREG(st.st_mode)) return Error{display + ": not a regular file"};
  return fd;
}

Result<std::string> ReadFd(int fd, const std::string& display, size_t max_bytes) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return ErrnoError(display + ": cannot stat");
  if (S_ISREG(st.st_mode) && static_cast<size_t>(st.st_size) > max_bytes) {
    return Error{display + ": larger than the limit of " + std::to_string(max_bytes) + " bytes"};
  }
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError(display + ": read failed");
    }
    if (n == 0) break;
    if (out.size() + static_cast<size_t>(n) > max_bytes) {
      return Error{display + ": larger than the limit of " + std::to_string(max_bytes) + " bytes"};
    }
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

Result<std::string> ReadFileNoFollow(const std::string& path, size_t max_bytes,
                                     struct stat* st_out) {
  auto [dir, base] = SplitPath(path);
  MOAT_ASSIGN_OR_RETURN(auto dfd, OpenDir(dir));
  MOAT_ASSIGN_OR_RETURN(auto fd, OpenRegularAt(dfd.get(), base, path));
  if (st_out != nullptr && ::fstat(fd.get(), st_out) != 0) {
    return ErrnoError(path + ": cannot stat");
  }
  return ReadFd(fd.get(), path, max_bytes);
}

Status CheckRootOwned(const struct stat& st, const std::string& display) {
  if (st.st_uid != 0) {
    return Error{display + ": owned by uid " + std::to_string(st.st_uid) + ", not root: refused"};
  }
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    char mode[8];
    (void)std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return Error{display + ": mode " + mode + " is group- or world-writable: refused"};
  }
  return Status::Ok();
}

Status CheckDirNotHijackable(int dirfd, const std::string& display) {
  struct stat st {};
  if (::fstat(dirfd, &st) != 0) return ErrnoError(display + ": cannot stat");
  if (st.st_uid != 0) {
    return Error{display + ": directory owned by uid " + std::to_string(st.st_uid) +
                 ", not root: refused"};
  }
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0 && (st.st_mode & S_ISVTX) == 0) {
    return Error{display + ": directory is group- or world-writable: refused"};
  }
  return Status::Ok();
}

namespace {

std::string RandomSuffix() {
  unsigned char raw[8];
  if (::getrandom(raw, sizeof raw, 0) != static_cast<ssize_t>(sizeof raw)) {
    // A predictable name is still safe: creation uses O_EXCL|O_NOFOLLOW.
    for (size_t i = 0; i < sizeof raw; ++i) raw[i] = static_cast<unsigned char>(::getpid() >> i);
  }
  static const char kHex[] = "0123456789abcdef";
  std::string s;
  for (unsigned char c : raw) {
    s += kHex[c >> 4];
    s += kHex[c & 15];
  }
  return s;
}

Status WriteAll(int fd, const std::string& data, const std::string& display) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError(display + ": write failed");
    }
    off += static_cast<size_t>(n);
  }
  return Status::Ok();
}

}  // namespace

Status ReplaceFileAt(int dirfd, const std::string& name, const std::string& data,
                     const struct stat* like, const std::string& display) {
  const std::string tmp = "." + name + ".moat-" + RandomSuffix();
  mode_t mode = like != nullptr ? (like->st_mode & 07777) : 0644;
  // An unnamed file (O_TMPFILE) gets its name only just before the rename:
  // a moat killed while writing or syncing leaves nothing in the directory.
  // Filesystems without O_TMPFILE get a named temporary file instead.
  UniqueFd fd(::openat(dirfd, ".", O_WRONLY | O_TMPFILE | O_CLOEXEC, mode));
  const bool unnamed = fd.valid();
  if (!unnamed) {
    fd.reset(
        ::openat(dirfd, tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode));
  }
  if (!fd.valid()) return ErrnoError(display + ": cannot create temporary file");
  bool named = !unnamed;
  auto fail = [&](Error e) -> Status {
    if (named) ::unlinkat(dirfd, tmp.c_str(), 0);
    return e;
  };
  Status st = WriteAll(fd.get(), data, display);
  if (!st.ok()) return fail(st.error());
  if (like != nullptr) {
    if (::fchown(fd.get(), like->st_uid, like->st_gid) != 0) {
      return fail(ErrnoError(display + ": cannot set owner"));
    }
    if (::fchmod(fd.get(), mode) != 0) return fail(ErrnoError(display + ": cannot set mode"));
  }
  if (::fsync(fd.get()) != 0) return fail(ErrnoError(display + ": fsync failed"));
  if (unnamed) {
    // AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH; /proc/self/fd works without.
    if (::linkat(fd.get(), "", dirfd, tmp.c_str(), AT_EMPTY_PATH) != 0) {
      const std::string proc = "/proc/self/fd/" + std::to_string(fd.get());
      if (::linkat(AT_FDCWD, proc.c_str(), dirfd, tmp.c_str(), AT_SYMLINK_FOLLOW) != 0) {
        return ErrnoError(display + ": cannot link temporary file");
      }
    }
    named = true;
  }
  if (::renameat(dirfd, tmp.c_str(), dirfd, name.c_str()) != 0) {
    return fail(ErrnoError(display + ": rename failed"));
  }
  if (::fsync(dirfd) != 0) return ErrnoError(display + ": fsync of directory failed");
  return Status::Ok();
}

namespace {

struct DirClose {
  void operator()(DIR* d) const { ::closedir(d); }
};

}  // namespace

size_t RemoveStaleTemporaries(int dirfd, const std::string& name, int min_age_seconds) {
  const int fd = ::openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return 0;
  std::unique_ptr<DIR, DirClose> dir(::fdopendir(fd));
  if (!dir) {
    ::close(fd);
    return 0;
  }
  const std::string prefix = "." + name + ".moat-";
  const time_t cutoff = std::time(nullptr) - min_age_seconds;
  size_t removed = 0;
  while (const dirent* e = ::readdir(dir.get())) {
    if (std::string_view(e->d_name).substr(0, prefix.size()) != prefix) continue;
    struct stat st {};
    if (::fstatat(dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    if (!S_ISREG(st.st_mode) || st.st_mtime > cutoff) continue;
    if (::unlinkat(dirfd, e->d_name, 0) == 0) ++removed;
  }
  return removed;
}

Result<TrustedFile> OpenTrustedFile(const std::string& path) {
  TrustedFile f;
  auto [dir, name] = SplitPath(path);
  auto dfd = OpenDir(dir);
  if (!dfd.ok()) return dfd.error();
  MOAT_TRY(CheckDirNotHijackable(dfd->get(), dir));
  auto fd = OpenRegularAt(dfd->get(), name, path);
  if (!fd.ok()) return fd.error();
  if (::fstat(fd->get(), &f.st) != 0) return ErrnoError(path + ": cannot stat");
  MOAT_TRY(CheckRootOwned(f.st, path));
  f.dir = std::move(dfd.value());
  f.fd = std::move(fd.value());
  f.name = name;
  return f;
}

std::pair<std::string, std::string> SplitPath(const std::string& path) {
  auto pos = path.rfind('/');
  if (pos == std::string::npos) return {".", path};
  if (pos == 0) return {"/", path.substr(1)};
  return {path.substr(0, pos), path.substr(pos + 1)};
}

Status MakeDirs(const std::string& path, mode_t mode) {
  if (path.empty()) return Status::Ok();
  std::string cur;
  size_t i = 0;
  while (i <= path.size()) {
    size_t next = path.find('/', i);
    if (next == std::string::npos) next = path.size();
    cur = path.substr(0, next);
    i = next + 1;
    if (cur.empty()) continue;
    if (::mkdir(cur.c_str(), mode) != 0 && errno != EEXIST) {
      return ErrnoError(cur + ": cannot create directory");
    }
  }
  return Status::Ok();
}

}  // namespace moat
