#include "secrets/dir.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <climits>
#include <memory>
#include <vector>

#include "base/creator.h"
#include "base/fs.h"
#include "base/json.h"
#include "base/json_read.h"

namespace moat::secrets {

namespace {

constexpr int kDirFlags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;

// <state_dir>/secrets, held under its flock for as long as this lives.
struct LockedBase {
  std::string path;
  UniqueFd dir;
  UniqueFd lock;
};

Result<LockedBase> LockBase(const std::string& state_dir, bool create) {
  LockedBase b;
  b.path = state_dir + "/secrets";
  if (create) MOAT_TRY(MakeDirs(b.path, 0700));
  auto dir = OpenDir(b.path);
  if (!dir.ok()) return dir.error();
  MOAT_TRY(CheckDirNotHijackable(dir->get(), b.path));
  b.dir = std::move(dir.value());
  b.lock =
      UniqueFd(::openat(b.dir.get(), ".lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!b.lock.valid()) return ErrnoError(b.path + "/.lock: cannot open");
  while (::flock(b.lock.get(), LOCK_EX) != 0) {
    if (errno != EINTR) return ErrnoError(b.path + "/.lock: cannot lock");
  }
  return b;
}

// The owner file of <base>/<id>: who created its container.
Result<Creator> ReadOwner(int basefd, const std::string& id, const std::string& display) {
  UniqueFd dir(::openat(basefd, id.c_str(), kDirFlags));
  if (!dir.valid()) return ErrnoError(display + ": cannot open");
  MOAT_ASSIGN_OR_RETURN(auto doc, ReadRecordAt(dir.get(), "owner", display + "/owner", 8192));
  return GetCreator(doc, display + "/owner");
}

// Stale: its owner record is unreadable (a crash before it was written), or
// neither its container nor the process that made it exists any more.
// A record that cannot be read for another reason (EMFILE, EIO) keeps it.
bool Stale(int basefd, const std::string& id, const std::string& display) {
  auto o = ReadOwner(basefd, id, display);
  if (!o.ok()) return o.error().err == 0 || o.error().err == ENOENT;
  return CreatorGone(*o, id);
}

// Removes everything below `dirfd`, `depth` levels deep, never following a
// symbolic link (unlinkat removes the link itself).
void RemoveContents(int dirfd, int depth) {
  UniqueFd dup(::fcntl(dirfd, F_DUPFD_CLOEXEC, 0));
  if (!dup.valid()) return;
  std::unique_ptr<DIR, int (*)(DIR*)> d(::fdopendir(dup.get()), ::closedir);
  if (d == nullptr) return;
  (void)dup.release();  // owned by the DIR now
  ::rewinddir(d.get());
  std::vector<std::string> names;
  while (const struct dirent* e = ::readdir(d.get())) {
    std::string n = e->d_name;
    if (n != "." && n != "..") names.push_back(std::move(n));
  }
  for (const auto& n : names) {
    if (::unlinkat(dirfd, n.c_str(), 0) == 0 || errno != EISDIR || depth <= 0) continue;
    UniqueFd sub(::openat(dirfd, n.c_str(), kDirFlags));
    if (sub.valid()) RemoveContents(sub.get(), depth - 1);
    sub.reset();
    ::unlinkat(dirfd, n.c_str(), AT_REMOVEDIR);
  }
}

// Wipes <base>/<id>: the secret files first (so that the values are gone
// from the tmpfs even where a copy of the mount survives in another mount
// namespace), then the mount, then the directories.
Status WipeLocked(const LockedBase& b, const std::string& id) {
  const std::string path = b.path + "/" + id;
  UniqueFd dir(::openat(b.dir.get(), id.c_str(), kDirFlags));
  if (!dir.valid()) {
    if (errno == ENOENT) return Status::Ok();
    return ErrnoError(path + ": cannot open");
  }
  {
    UniqueFd fs(::openat(dir.get(), "fs", kDirFlags));
    if (fs.valid()) RemoveContents(fs.get(), 2);
  }
  const std::string fs_path = path + "/fs";
  for (int i = 0; i < 8; ++i) {
    if (::umount2(fs_path.c_str(), MNT_DETACH | UMOUNT_NOFOLLOW) == 0) continue;
    if (errno == EINVAL || errno == ENOENT) break;  // no (more) mount there
    return ErrnoError(fs_path + ": cannot unmount");
  }
  RemoveContents(dir.get(), 2);
  if (::unlinkat(b.dir.get(), id.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT) {
    return ErrnoError(path + ": cannot remove");
  }
  return Status::Ok();
}

Status WriteOwner(int dirfd, const Creator& o, const std::string& display) {
  json::Value v = json::Value::Object();
  SetCreator(o, &v);
  struct stat like {};
  like.st_mode = 0600;
  return ReplaceFileAt(dirfd, "owner", json::Serialize(v) + "\n", &like, display + "/owner");
}

Status MountTmpfs(const std::string& path, uint64_t bytes, size_t files) {
  uint64_t size = (65536 + bytes + files * 4096 + 4095) / 4096 * 4096;
  const std::string opts = "mode=0700,uid=0,gid=0,size=" + std::to_string(size) +
                           ",nr_inodes=" + std::to_string(files + 16);
  const unsigned long flags = MS_NOSUID | MS_NODEV | MS_NOEXEC;
  // noswap (Linux 6.4) keeps the values out of swap; older kernels refuse it.
  const std::string noswap = opts + ",noswap";
  if (::mount("moat-secrets", path.c_str(), "tmpfs", flags, noswap.c_str()) == 0)
    return Status::Ok();
  if (errno == EINVAL && ::mount("moat-secrets", path.c_str(), "tmpfs", flags, opts.c_str()) == 0)
    return Status::Ok();
  return ErrnoError(path + ": cannot mount the secrets tmpfs");
}

}  // namespace

Result<SecretDir> SecretDir::Create(const std::string& state_dir, const std::string& id,
                                    const std::string& root, uint64_t bytes, size_t files) {
  if (!ValidContainerId(id)) return Error{"container id \"" + id + "\" is not valid"};
  MOAT_ASSIGN_OR_RETURN(auto b, LockBase(state_dir, true));
  const std::string path = b.path + "/" + id;
  struct stat st {};
  if (::fstatat(b.dir.get(), id.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
    if (!Stale(b.dir.get(), id, path)) {
      return Error{path + ": container " + id + " already has secrets (it exists under " + root +
                   " or another runtime root, or is being created)"};
    }
    MOAT_TRY(WipeLocked(b, id));
  }
  if (::mkdirat(b.dir.get(), id.c_str(), 0700) != 0) return ErrnoError(path + ": cannot create");
  auto fail = [&](const Error& e) -> Error {
    Status wiped = WipeLocked(b, id);
    if (!wiped.ok())
      return Error{e.Describe() + " (and cleaning up: " + wiped.error().Describe() + ")"};
    return e;
  };
  UniqueFd dir(::openat(b.dir.get(), id.c_str(), kDirFlags));
  if (!dir.valid()) return fail(ErrnoError(path + ": cannot open"));
  auto o = ThisCreator(root);
  if (!o.ok()) return fail(o.error());
  Status st_owner = WriteOwner(dir.get(), *o, path);
  if (!st_owner.ok()) return fail(st_owner.error());
  if (::mkdirat(dir.get(), "fs", 0700) != 0) return fail(ErrnoError(path + "/fs: cannot create"));
  Status mounted = MountTmpfs(path + "/fs", bytes, files);
  if (!mounted.ok()) return fail(mounted.error());
  UniqueFd fs(::openat(dir.get(), "fs", kDirFlags));
  struct statfs sfs {};
  if (!fs.valid() || ::fstatfs(fs.get(), &sfs) != 0 || sfs.f_type != TMPFS_MAGIC) {
    return fail(Error{path + "/fs: not the tmpfs just mounted"});
  }
  SecretDir d;
  d.state_dir_ = state_dir;
  d.id_ = id;
  d.fs_ = std::move(fs);
  return d;
}

SecretDir::SecretDir(SecretDir&& o) noexcept
    : state_dir_(std::exchange(o.state_dir_, "")), id_(std::move(o.id_)), fs_(std::move(o.fs_)) {}

SecretDir& SecretDir::operator=(SecretDir&& o) noexcept {
  if (this != &o) {
    WipeNow();
    state_dir_ = std::exchange(o.state_dir_, "");
    id_ = std::move(o.id_);
    fs_ = std::move(o.fs_);
  }
  return *this;
}

SecretDir::~SecretDir() { WipeNow(); }

void SecretDir::WipeNow() {
  fs_.reset();
  if (state_dir_.empty()) return;
  auto b = LockBase(state_dir_, false);
  if (b.ok()) (void)WipeLocked(*b, id_);
  state_dir_.clear();
}

Status SecretDir::Write(const std::string& file, const SecretBytes& value, uint32_t uid,
                        uint32_t gid, uint32_t mode) {
  UniqueFd fd(::openat(fs_.get(), file.c_str(),
                       O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  const std::string display = "secrets tmpfs of " + id_ + ": file " + file;
  if (!fd.valid()) return ErrnoError(display + ": cannot create");
  size_t off = 0;
  while (off < value.size()) {
    ssize_t n = ::write(fd.get(), value.data() + off, value.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError(display + ": write failed");
    }
    off += static_cast<size_t>(n);
  }
  if (::fchown(fd.get(), uid, gid) != 0) return ErrnoError(display + ": cannot set owner");
  if (::fchmod(fd.get(), mode) != 0) return ErrnoError(display + ": cannot set mode");
  return Status::Ok();
}

Status WipeSecretDir(const std::string& state_dir, const std::string& id, const std::string& root) {
  if (!ValidContainerId(id)) return Status::Ok();
  struct stat st {};
  if (::lstat((state_dir + "/secrets/" + id).c_str(), &st) != 0) return Status::Ok();
  MOAT_ASSIGN_OR_RETURN(auto b, LockBase(state_dir, false));
  auto o = ReadOwner(b.dir.get(), id, b.path + "/" + id);
  if (o.ok() && o->root != root) return Status::Ok();  // another runtime root's container
  return WipeLocked(b, id);
}

void SweepSecretDirs(const std::string& state_dir, Logger& log) {
  struct stat st {};
  if (::lstat((state_dir + "/secrets").c_str(), &st) != 0) return;
  auto b = LockBase(state_dir, false);
  if (!b.ok()) {
    log.Warning("secrets sweep: " + b.error().Describe());
    return;
  }
  UniqueFd dup(::fcntl(b->dir.get(), F_DUPFD_CLOEXEC, 0));
  std::unique_ptr<DIR, int (*)(DIR*)> d(dup.valid() ? ::fdopendir(dup.get()) : nullptr, ::closedir);
  if (d == nullptr) return;
  (void)dup.release();
  std::vector<std::string> ids;
  while (const struct dirent* e = ::readdir(d.get())) {
    if (e->d_name[0] != '.' && ValidContainerId(e->d_name)) ids.emplace_back(e->d_name);
  }
  for (const auto& id : ids) {
    if (!Stale(b->dir.get(), id, b->path + "/" + id)) continue;
    Status wiped = WipeLocked(*b, id);
    if (wiped.ok()) {
      log.Info("removed the secrets of container " + id + ", which no longer exists");
    } else {
      log.Warning("secrets sweep: " + wiped.error().Describe());
    }
  }
}

}  // namespace moat::secrets
