#include "secrets/store.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/fs.h"
#include "base/json_read.h"
#include "base/unique_fd.h"
#include "launcher/secret_spec.h"

namespace moat::secrets {

namespace {

Result<std::string> ReadAbsolute(const json::Value& entry, const std::string& path, const char* key,
                                 bool required) {
  const json::Value* v = entry.Find(key);
  const std::string at = json::Field(path, key);
  if (v == nullptr) {
    if (required) return Error{at + ": missing"};
    return std::string();
  }
  return json::ReadAbsolutePath(*v, at);
}

// Opens `name` beneath `dirfd` with openat2(RESOLVE_BENEATH): symbolic links
// are followed only while they stay inside. ENOSYS (a kernel before 5.6)
// falls back to a walk that follows no symbolic link at all.
UniqueFd OpenBeneath(int dirfd, const std::string& name) {
  struct open_how how {};
  how.flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  long fd = ::syscall(SYS_openat2, dirfd, name.c_str(), &how, sizeof how);
  if (fd >= 0 || errno != ENOSYS) return UniqueFd(static_cast<int>(fd));
  UniqueFd cur(::fcntl(dirfd, F_DUPFD_CLOEXEC, 0));
  size_t start = 0;
  for (;;) {
    if (!cur.valid()) return cur;
    size_t slash = name.find('/', start);
    const std::string part = name.substr(start, slash - start);
    const bool last = slash == std::string::npos;
    int next =
        ::openat(cur.get(), part.c_str(),
                 O_RDONLY | O_CLOEXEC | O_NOFOLLOW | (last ? O_NONBLOCK | O_NOCTTY : O_DIRECTORY));
    const int saved = errno;
    cur = UniqueFd(next);  // closes the parent, which must not change errno
    errno = saved;
    if (last) return cur;
    start = slash + 1;
  }
}

}  // namespace

Status ReadSecretStores(const json::Value& v, const std::string& path,
                        std::map<std::string, SecretStore>* out) {
  MOAT_TRY(json::ExpectType(v, json::Type::kObject, path));
  for (const auto& [name, entry] : v.members()) {
    const std::string at = json::Field(path, name);
    if (!launcher::ValidStoreName(name)) {
      return Error{at + ": \"" + name +
                   "\" is not a store name (letters, digits, _ - ., not starting with .)"};
    }
    MOAT_TRY(json::CheckObject(entry, at, {"path", "key"}));
    SecretStore s;
    MOAT_ASSIGN_OR_RETURN(s.path, ReadAbsolute(entry, at, "path", true));
    MOAT_ASSIGN_OR_RETURN(s.key, ReadAbsolute(entry, at, "key", false));
    (*out)[name] = std::move(s);
  }
  return Status::Ok();
}

Result<SecretBytes> ReadStoreSecret(const std::string& store_name, const SecretStore& store,
                                    const std::string& name, uint64_t max_bytes) {
  const std::string what = "secret \"" + store_name + "/" + name + "\"";
  auto dir = OpenDir(store.path);
  if (!dir.ok()) return dir.error().Wrap(what + ": store \"" + store_name + "\"");
  UniqueFd fd = OpenBeneath(dir->get(), name);
  if (!fd.valid()) {
    if (errno == ENOENT) return Error{what + ": not found in " + store.path};
    if (errno == EXDEV || errno == ELOOP) {
      return Error{what + ": " + store.path + "/" + name +
                   " leads out of the store (symbolic link): refused"};
    }
    return ErrnoError(what + ": cannot open " + store.path + "/" + name);
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return ErrnoError(what + ": cannot stat");
  if (!S_ISREG(st.st_mode))
    return Error{what + ": " + store.path + "/" + name + " is not a regular file"};
  if (store.key.empty()) return ReadSecretFd(fd.get(), what, max_bytes);

  MOAT_ASSIGN_OR_RETURN(auto sealed,
                        ReadSecretFd(fd.get(), what + " (sealed)", max_bytes + kSealOverhead));
  auto key = LoadSealKey(store.key);
  if (!key.ok()) return key.error().Wrap(what + ": store \"" + store_name + "\" key");
  auto plain = UnsealSecret(*key, name, sealed.view());
  if (!plain.ok()) return plain.error().Wrap(what + ": " + store.path + "/" + name);
  return plain;
}

}  // namespace moat::secrets
