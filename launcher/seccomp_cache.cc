// Filters that compiled once need not be compiled again: libseccomp takes
// about 10 ms to build a filter for x86_64, x86 and x32, and most creates
// under one profile resolve to the same filter.
//
// An entry is a file named by a 64-bit FNV-1a hash of its key, holding the
// key itself: the libseccomp version and API level and the filter's OCI
// JSON. A hit needs the whole key to match byte for byte, so the hash only
// spreads entries. The directory must be root's (moat's state_dir). Even a
// planted entry weakens nothing: it only skips the early check, and runc
// still builds and loads the filter itself, failing the create if it must.
#include <fcntl.h>
#include <seccomp.h>
#include <sys/stat.h>

#include <cstdio>

#include "base/fs.h"
#include "launcher/seccomp.h"

namespace moat::launcher {

namespace {

std::string CacheKey(const std::string& oci_json) {
  const scmp_version* v = seccomp_version();
  std::string key = "moat seccomp compile cache v1\nlibseccomp ";
  key += v != nullptr ? std::to_string(v->major) + "." + std::to_string(v->minor) + "." +
                            std::to_string(v->micro)
                      : "?";
  key += "\napi " + std::to_string(seccomp_api_get()) + "\n" + oci_json + "\n";
  return key;
}

std::string EntryName(const std::string& key) {
  uint64_t h = 14695981039346656037ULL;
  for (unsigned char c : key) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  char name[24];
  (void)std::snprintf(name, sizeof name, "%016llx", static_cast<unsigned long long>(h));
  return name;
}

// The cache directory, created 0700 if missing; an error when someone but
// root could add entries to it.
Result<UniqueFd> OpenCacheDir(const std::string& dir) {
  MOAT_TRY(MakeDirs(dir, 0700));
  MOAT_ASSIGN_OR_RETURN(auto fd, OpenDir(dir));
  MOAT_TRY(CheckDirNotHijackable(fd.get(), dir));
  return fd;
}

bool Cached(int dirfd, const std::string& name, const std::string& key) {
  auto fd = OpenRegularAt(dirfd, name, name);
  if (!fd.ok()) return false;
  struct stat st {};
  if (::fstat(fd->get(), &st) != 0 || !CheckRootOwned(st, name).ok()) return false;
  auto text = ReadFd(fd->get(), name, key.size());
  return text.ok() && *text == key;
}

}  // namespace

Status CompileSeccompCached(const ResolvedSeccomp& r, const std::string& oci_json,
                            const std::string& cache_dir) {
  if (cache_dir.empty()) return CompileSeccomp(r);
  const std::string key = CacheKey(oci_json);
  const std::string name = EntryName(key);
  auto dir = OpenCacheDir(cache_dir);
  if (dir.ok() && Cached(dir->get(), name, key)) return Status::Ok();
  MOAT_TRY(CompileSeccomp(r));
  if (dir.ok()) {
    struct stat like {};
    like.st_mode = 0600;
    // A cache that cannot be written costs time, not correctness.
    (void)ReplaceFileAt(dir->get(), name, key, &like, cache_dir + "/" + name);
  }
  return Status::Ok();
}

}  // namespace moat::launcher
