#include "verify/verdict/verdict_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>

#include "base/fs.h"
#include "base/json.h"
#include "base/unique_fd.h"
#include "verify/common/digest.h"
#include "verify/common/reference.h"

namespace moat::verify {

namespace {

struct DirClose {
  void operator()(DIR* d) const { ::closedir(d); }
};
using DirPtr = std::unique_ptr<DIR, DirClose>;

bool IsEnvelopeName(const std::string& name) {
  constexpr std::string_view kSuffix = ".json";
  return name.size() == 64 + kSuffix.size() && name.compare(64, kSuffix.size(), kSuffix) == 0 &&
         IsSha256Digest("sha256:" + name.substr(0, 64));
}

// Opens `name` in `parent` as a directory without following a symlink; a
// missing one is an empty result (fd -1), not an error.
Result<UniqueFd> OpenSubdir(int parent, const std::string& name, const std::string& display,
                            const VerdictStoreOptions& options) {
  UniqueFd fd(::openat(parent, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd.valid()) {
    if (errno == ENOENT) return UniqueFd();
    if (errno == ENOTDIR || errno == ELOOP) {
      return Error{display + ": not a directory (or a symbolic link): refused"};
    }
    return ErrnoError(display + ": cannot open directory");
  }
  if (options.require_root_owned) MOAT_TRY(CheckDirNotHijackable(fd.get(), display));
  return fd;
}

// The envelope names in a directory, sorted.
Result<std::vector<std::string>> ListEnvelopes(int dirfd, const std::string& display) {
  UniqueFd dup(::fcntl(dirfd, F_DUPFD_CLOEXEC, 0));
  if (!dup.valid()) return ErrnoError(display + ": cannot list");
  DirPtr dir(::fdopendir(dup.get()));
  if (!dir) return ErrnoError(display + ": cannot list");
  (void)dup.release();  // the DIR owns it now
  std::vector<std::string> names;
  errno = 0;
  while (const struct dirent* e = ::readdir(dir.get())) {
    std::string name = e->d_name;
    if (IsEnvelopeName(name)) names.push_back(std::move(name));
  }
  if (errno != 0) return ErrnoError(display + ": cannot list");
  std::sort(names.begin(), names.end());
  return names;
}

StoredVerdict ReadOne(int dirfd, const std::string& name, const std::string& path,
                      const VerdictStoreOptions& options) {
  StoredVerdict v;
  v.path = path;
  auto fd = OpenRegularAt(dirfd, name, path);
  if (!fd.ok()) {
    v.problem = fd.error().Describe();
    return v;
  }
  struct stat st {};
  if (::fstat(fd->get(), &st) != 0) {
    v.problem = ErrnoError(path + ": cannot stat").Describe();
    return v;
  }
  if (options.require_root_owned) {
    Status owned = CheckRootOwned(st, path);
    if (!owned.ok()) {
      v.problem = owned.error().Describe();
      return v;
    }
  }
  auto bytes = ReadFd(fd->get(), path, options.max_file_bytes);
  if (!bytes.ok()) {
    v.problem = bytes.error().Describe();
    return v;
  }
  v.sha256 = DigestOf(*bytes);
  if (v.sha256 != "sha256:" + name.substr(0, 64)) {
    v.problem = path + ": contents do not hash to the file name (changed after it was stored)";
    return v;
  }
  v.bytes = std::move(bytes.value());
  return v;
}

}  // namespace

std::string VerdictDir(const std::string& store, const std::string& digest) {
  const auto colon = digest.find(':');
  return store + "/" + digest.substr(0, colon) + "/" + digest.substr(colon + 1);
}

Result<std::vector<StoredVerdict>> ReadVerdicts(const std::string& store, const std::string& digest,
                                                const VerdictStoreOptions& options) {
  if (!IsSha256Digest(digest))
    return Error{json::Quote(digest) + " is not a sha256:<64 hex> digest"};
  std::vector<StoredVerdict> out;
  UniqueFd root(::open(store.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!root.valid()) {
    if (errno == ENOENT) return out;
    return ErrnoError(store + ": cannot open verdict store");
  }
  if (options.require_root_owned) MOAT_TRY(CheckDirNotHijackable(root.get(), store));
  MOAT_ASSIGN_OR_RETURN(auto algo, OpenSubdir(root.get(), "sha256", store + "/sha256", options));
  if (!algo.valid()) return out;
  const std::string dir = VerdictDir(store, digest);
  MOAT_ASSIGN_OR_RETURN(auto dfd, OpenSubdir(algo.get(), digest.substr(7), dir, options));
  if (!dfd.valid()) return out;
  MOAT_ASSIGN_OR_RETURN(auto names, ListEnvelopes(dfd.get(), dir));
  if (names.size() > options.max_files) {
    return Error{dir + ": " + std::to_string(names.size()) + " verdicts, more than the limit of " +
                 std::to_string(options.max_files) + ": refused"};
  }
  for (const auto& name : names) {
    out.push_back(ReadOne(dfd.get(), name, dir + "/" + name, options));
  }
  return out;
}

Result<std::string> WriteVerdict(const std::string& store, const std::string& digest,
                                 std::string_view envelope, const VerdictStoreOptions& options) {
  if (!IsSha256Digest(digest))
    return Error{json::Quote(digest) + " is not a sha256:<64 hex> digest"};
  if (envelope.size() > options.max_file_bytes) {
    return Error{"envelope of " + std::to_string(envelope.size()) +
                 " bytes is larger than the store's limit of " +
                 std::to_string(options.max_file_bytes)};
  }
  const std::string dir = VerdictDir(store, digest);
  MOAT_TRY(MakeDirs(dir, 0755));
  // Re-open level by level: the checks readers make apply to what was written.
  UniqueFd root(::open(store.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!root.valid()) return ErrnoError(store + ": cannot open verdict store");
  if (options.require_root_owned) MOAT_TRY(CheckDirNotHijackable(root.get(), store));
  MOAT_ASSIGN_OR_RETURN(auto algo, OpenSubdir(root.get(), "sha256", store + "/sha256", options));
  MOAT_ASSIGN_OR_RETURN(auto dfd, OpenSubdir(algo.get(), digest.substr(7), dir, options));
  if (!algo.valid() || !dfd.valid()) return Error{dir + ": vanished while storing"};
  const std::string hash = DigestOf(envelope);
  const std::string name = hash.substr(7) + ".json";
  const std::string path = dir + "/" + name;
  MOAT_TRY(ReplaceFileAt(dfd.get(), name, std::string(envelope), nullptr, path));
  return path;
}

}  // namespace moat::verify
