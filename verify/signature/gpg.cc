#include "verify/signature/gpg.h"

#include <dirent.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <mutex>
#include <set>

#include "base/fs.h"
#include "base/unique_fd.h"

namespace moat::verify {

namespace {

constexpr size_t kMaxPlaintext = 1u << 20;
constexpr const char* kGpgconf = "/usr/bin/gpgconf";

// Options of the private home. ignore-invalid-option keeps an older gpg
// that lacks one of them from refusing the whole file.
constexpr std::string_view kGpgConf =
    "# written by moat: verification against imported keys only, offline\n"
    "no-autostart\n"
    "no-auto-key-retrieve\n"
    "ignore-invalid-option no-auto-key-import disable-dirmngr\n"
    "no-auto-key-import\n"
    "disable-dirmngr\n";

struct DirClose {
  void operator()(DIR* d) const { closedir(d); }
};
using DirPtr = std::unique_ptr<DIR, DirClose>;

std::string GpgError(const std::string& what, gpgme_error_t err) {
  return what + ": " + gpgme_strerror(err);
}

// gpgme_check_version must run once before anything else in gpgme.
Status InitGpgme() {
  static std::once_flag once;
  static std::string problem;
  std::call_once(once, [] {
    if (gpgme_check_version(nullptr) == nullptr) {
      problem = "gpgme: library initialisation failed";
      return;
    }
    gpgme_error_t err = gpgme_engine_check_version(GPGME_PROTOCOL_OpenPGP);
    if (err != 0) problem = GpgError("gpgme: no usable OpenPGP engine (gpg)", err);
  });
  if (!problem.empty()) return Error{problem};
  return Status::Ok();
}

std::string Upper(const char* s) {
  std::string out = s == nullptr ? "" : s;
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// Runs gpgconf with explicit argv and envp (no shell, no PATH lookup) and
// waits for it. Best effort: cleanup must not fail.
void RunGpgconf(const std::string& home, const char* command, const char* arg) {
  if (::access(kGpgconf, X_OK) != 0) return;
  std::string homedir = home;
  std::vector<char*> argv = {const_cast<char*>(kGpgconf), const_cast<char*>("--homedir"),
                             homedir.data(), const_cast<char*>(command)};
  if (arg != nullptr) argv.push_back(const_cast<char*>(arg));
  argv.push_back(nullptr);
  char* envp[] = {const_cast<char*>("PATH=/usr/bin:/bin"), const_cast<char*>("LC_ALL=C"), nullptr};

  posix_spawn_file_actions_t actions;
  if (posix_spawn_file_actions_init(&actions) != 0) return;
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, pipe;
  sigemptyset(&none);
  sigemptyset(&pipe);
  sigaddset(&pipe, SIGPIPE);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &pipe);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, kGpgconf, &actions, &attr, argv.data(), envp);
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return;
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
}

// Removes `name` in `parent` and everything below it without following
// symbolic links (gpg leaves sockets, lock files, private-keys-v1.d/).
void RemoveTreeAt(int parent, const std::string& name, int depth) {
  if (::unlinkat(parent, name.c_str(), 0) == 0 || errno == ENOENT) return;
  if (depth > 8) return;
  int fd = ::openat(parent, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return;
  DirPtr dir(::fdopendir(fd));
  if (!dir) {
    ::close(fd);
    return;
  }
  std::vector<std::string> names;
  while (dirent* e = ::readdir(dir.get())) {
    std::string n = e->d_name;
    if (n != "." && n != "..") names.push_back(std::move(n));
  }
  for (const std::string& n : names) RemoveTreeAt(::dirfd(dir.get()), n, depth + 1);
  dir.reset();
  ::unlinkat(parent, name.c_str(), AT_REMOVEDIR);
}

// The plaintext sink: a string that refuses to grow past kMaxPlaintext.
struct PlainSink {
  std::string data;
  bool overflow = false;
};

ssize_t SinkWrite(void* handle, const void* buffer, size_t size) {
  auto* sink = static_cast<PlainSink*>(handle);
  if (sink->data.size() + size > kMaxPlaintext) {
    sink->overflow = true;
    errno = EFBIG;
    return -1;
  }
  sink->data.append(static_cast<const char*>(buffer), size);
  return static_cast<ssize_t>(size);
}

gpgme_data_cbs kSinkCallbacks = {nullptr, SinkWrite, nullptr, nullptr};

Result<DataPtr> DataFromMemory(std::string_view bytes) {
  gpgme_data_t raw = nullptr;
  gpgme_error_t err = gpgme_data_new_from_mem(&raw, bytes.data(), bytes.size(), 0);
  if (err != 0) return Error{GpgError("gpgme: cannot wrap data", err)};
  return DataPtr(raw);
}

// Why a signature with a non-zero status fails, in words.
std::string DescribeStatus(gpgme_signature_t sig, const std::string& fpr) {
  const std::string key = fpr.empty() ? "an unidentified key" : "key " + fpr;
  switch (gpgme_err_code(sig->status)) {
    case GPG_ERR_BAD_SIGNATURE:
      return "bad signature by " + key + ": the signed data or the signature was altered";
    case GPG_ERR_NO_PUBKEY:
      return "signed by " + key + ", which is not a trusted key";
    case GPG_ERR_KEY_EXPIRED:
      return "signed by " + key + ", which has expired";
    case GPG_ERR_CERT_REVOKED:
      return "signed by " + key + ", which is revoked";
    case GPG_ERR_SIG_EXPIRED:
      return "the signature by " + key + " has expired";
    default:
      return "signature by " + key + ": " + gpgme_strerror(sig->status);
  }
}

// Summary bits that mean the signature must not count, whatever the status.
std::string DescribeSummary(gpgme_sigsum_t summary, const std::string& fpr) {
  const std::string key = fpr.empty() ? "an unidentified key" : "key " + fpr;
  if ((summary & GPGME_SIGSUM_RED) != 0) return "bad signature by " + key;
  if ((summary & GPGME_SIGSUM_KEY_REVOKED) != 0) return "signed by " + key + ", which is revoked";
  if ((summary & GPGME_SIGSUM_KEY_EXPIRED) != 0) return "signed by " + key + ", which has expired";
  if ((summary & GPGME_SIGSUM_SIG_EXPIRED) != 0) return "the signature by " + key + " has expired";
  if ((summary & GPGME_SIGSUM_KEY_MISSING) != 0)
    return "signed by " + key + ", which is not a trusted key";
  if ((summary & GPGME_SIGSUM_SYS_ERROR) != 0) return "gpg reported a system error for " + key;
  return "";
}

}  // namespace

Result<std::unique_ptr<GpgVerifier>> GpgVerifier::Create(const std::vector<std::string>& key_blobs,
                                                         const std::string& parent_dir) {
  MOAT_TRY(InitGpgme());
  std::string parent = parent_dir;
  if (parent.empty()) {
    const char* tmp = std::getenv("TMPDIR");
    parent = tmp != nullptr && tmp[0] == '/' ? tmp : "/tmp";
  }
  std::string tmpl = parent + "/moat-gnupg-XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr) {
    return ErrnoError(parent + ": cannot create a private GNUPGHOME");
  }
  // From here on the destructor removes the directory, also on failure.
  std::unique_ptr<GpgVerifier> v(new GpgVerifier(tmpl));
  Status st = v->Init(key_blobs);
  if (!st.ok()) return st.error();
  return v;
}

GpgVerifier::~GpgVerifier() {
  ctx_.reset();
  // no-autostart should mean that no gpg-agent (or dirmngr) ever ran. Its
  // sockets would be in the home, or, when /run/user/<uid> exists, in a
  // directory gpg makes there for this home; then stop whatever runs and
  // remove that directory. Otherwise spare the ~20 ms of a gpgconf run.
  struct stat st {};
  const std::string run_user = "/run/user/" + std::to_string(::getuid());
  const bool socketdir = ::stat(run_user.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
  if (socketdir || ::lstat((home_ + "/S.gpg-agent").c_str(), &st) == 0) {
    RunGpgconf(home_, "--kill", "all");
  }
  if (socketdir) RunGpgconf(home_, "--remove-socketdir", nullptr);
  auto [dir, base] = SplitPath(home_);
  UniqueFd parent(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (parent.valid()) RemoveTreeAt(parent.get(), base, 0);
}

Status GpgVerifier::Init(const std::vector<std::string>& key_blobs) {
  {
    UniqueFd home(::open(home_.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!home.valid()) return ErrnoError(home_ + ": cannot open");
    UniqueFd conf(::openat(home.get(), "gpg.conf",
                           O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!conf.valid()) return ErrnoError(home_ + "/gpg.conf: cannot create");
    if (::write(conf.get(), kGpgConf.data(), kGpgConf.size()) !=
        static_cast<ssize_t>(kGpgConf.size())) {
      return ErrnoError(home_ + "/gpg.conf: write failed");
    }
  }

  gpgme_ctx_t raw = nullptr;
  gpgme_error_t err = gpgme_new(&raw);
  if (err != 0) return Error{GpgError("gpgme: cannot create a context", err)};
  ctx_.reset(raw);
  err = gpgme_set_protocol(ctx_.get(), GPGME_PROTOCOL_OpenPGP);
  if (err == 0) {
    err = gpgme_ctx_set_engine_info(ctx_.get(), GPGME_PROTOCOL_OpenPGP, nullptr, home_.c_str());
  }
  if (err == 0) err = gpgme_set_keylist_mode(ctx_.get(), GPGME_KEYLIST_MODE_LOCAL);
  if (err != 0) return Error{GpgError("gpgme: cannot configure the context", err)};
  gpgme_set_armor(ctx_.get(), 0);
  gpgme_set_textmode(ctx_.get(), 0);
  gpgme_set_offline(ctx_.get(), 1);

  if (key_blobs.empty()) return Error{"no GPG public keys given"};
  std::vector<std::string> imported;
  for (size_t i = 0; i < key_blobs.size(); ++i) MOAT_TRY(Import(key_blobs[i], i, &imported));
  return IndexKeys(imported);
}

Status GpgVerifier::Import(std::string_view blob, size_t index,
                           std::vector<std::string>* imported) {
  const std::string what = "GPG key " + std::to_string(index + 1);
  MOAT_ASSIGN_OR_RETURN(auto data, DataFromMemory(blob));
  gpgme_error_t err = gpgme_op_import(ctx_.get(), data.get());
  if (err != 0) return Error{GpgError(what + ": import failed", err)};
  gpgme_import_result_t result = gpgme_op_import_result(ctx_.get());
  size_t n = 0;
  if (result != nullptr) {
    for (gpgme_import_status_t s = result->imports; s != nullptr; s = s->next) {
      // As containers/image: keys whose import succeeded (new or unchanged).
      if (s->result == GPG_ERR_NO_ERROR && s->fpr != nullptr) {
        imported->push_back(Upper(s->fpr));
        ++n;
      }
    }
  }
  if (n == 0) return Error{what + ": no OpenPGP public key could be imported"};
  return Status::Ok();
}

Status GpgVerifier::IndexKeys(const std::vector<std::string>& imported) {
  const std::set<std::string> wanted(imported.begin(), imported.end());
  gpgme_error_t err = gpgme_op_keylist_start(ctx_.get(), nullptr, 0);
  if (err != 0) return Error{GpgError("gpgme: cannot list the imported keys", err)};
  for (;;) {
    gpgme_key_t raw = nullptr;
    err = gpgme_op_keylist_next(ctx_.get(), &raw);
    if (err != 0) break;
    KeyPtr key(raw);
    if (key->subkeys == nullptr || key->subkeys->fpr == nullptr) continue;
    std::string primary = Upper(key->subkeys->fpr);
    if (wanted.count(primary) == 0) continue;
    primaries_.push_back(primary);
    for (gpgme_subkey_t sk = key->subkeys; sk != nullptr; sk = sk->next) {
      if (sk->fpr != nullptr) signers_[Upper(sk->fpr)] = primary;
    }
  }
  gpgme_op_keylist_end(ctx_.get());
  if (gpgme_err_code(err) != GPG_ERR_EOF) {
    return Error{GpgError("gpgme: listing the imported keys failed", err)};
  }
  if (primaries_.empty()) return Error{"no GPG public key was imported"};
  return Status::Ok();
}

Result<GpgVerified> GpgVerifier::Verify(std::string_view signature) {
  if (signature.empty()) return Error{"empty signature"};
  MOAT_ASSIGN_OR_RETURN(auto sig, DataFromMemory(signature));
  PlainSink sink;
  gpgme_data_t raw = nullptr;
  gpgme_error_t err = gpgme_data_new_from_cbs(&raw, &kSinkCallbacks, &sink);
  if (err != 0) return Error{GpgError("gpgme: cannot create the output buffer", err)};
  DataPtr plain(raw);

  err = gpgme_op_verify(ctx_.get(), sig.get(), nullptr, plain.get());
  if (sink.overflow) {
    return Error{"signed content larger than " + std::to_string(kMaxPlaintext) + " bytes"};
  }
  if (err != 0) return Error{GpgError("gpg cannot verify the signature", err)};
  gpgme_verify_result_t result = gpgme_op_verify_result(ctx_.get());
  if (result == nullptr) return Error{"gpg returned no verification result"};

  // The plaintext is only trusted after every check below: gpg writes it
  // even when the key is unknown or the signature is bad.
  size_t count = 0;
  for (gpgme_signature_t s = result->signatures; s != nullptr; s = s->next) ++count;
  if (count != 1) {
    return Error{"expected exactly one signature, found " + std::to_string(count)};
  }
  gpgme_signature_t s = result->signatures;
  const std::string fpr = Upper(s->fpr);
  if (gpgme_err_code(s->status) != GPG_ERR_NO_ERROR) return Error{DescribeStatus(s, fpr)};
  if (std::string why = DescribeSummary(s->summary, fpr); !why.empty()) return Error{why};
  if (s->validity == GPGME_VALIDITY_NEVER) {
    return Error{"signed by key " + fpr + ", which is marked as never valid"};
  }
  if (s->validity_reason != GPG_ERR_NO_ERROR) {
    return Error{"signature by key " + fpr + ": " + gpgme_strerror(s->validity_reason)};
  }
  if (s->wrong_key_usage) return Error{"key " + fpr + " is not meant for signing"};
  auto it = signers_.find(fpr);
  if (fpr.empty() || it == signers_.end()) {
    return Error{"signed by key " + fpr + ", which is not a trusted key"};
  }
  return GpgVerified{std::move(sink.data), it->second, fpr};
}

}  // namespace moat::verify
