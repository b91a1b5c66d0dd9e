// moat secret: keys and sealed files for sealed secret stores.
//
//   moat secret keygen --out KEYFILE
//   moat secret seal --key KEYFILE --name NAME [--in FILE] --out FILE
//
// A sealed store (moat.conf secret_stores, with "key") holds one sealed file
// per secret; moat-runtime opens it at create with the store's key and the
// secret's name (secrets/seal.h has the format).
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>

#include "base/fs.h"
#include "base/unique_fd.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "launcher/secret_spec.h"
#include "secrets/seal.h"

namespace moat::cli {

namespace {

constexpr size_t kMaxSealInput = 64u << 20;

const std::vector<FlagSpec> kKeygenFlags = {
    {"out", true, "the key file to create (mode 0600; an existing file is not replaced)"},
};

const std::vector<FlagSpec> kSealFlags = {
    {"key", true, "the store's key file (32 bytes, root-owned, mode 0600 or 0400)"},
    {"name", true, "the secret's name, as profiles write it (\"db/password\")"},
    {"in", true, "the plaintext (default: standard input)"},
    {"out", true, "the sealed file to write (replaced atomically, mode 0600)"},
};

constexpr const char* kUsage =
    "usage: moat secret keygen --out KEYFILE\n"
    "       moat secret seal --key KEYFILE --name NAME [--in FILE] --out FILE\n"
    "\n"
    "keygen makes a random AES-256 key for a sealed secret store; seal encrypts\n"
    "a secret with it (AES-256-GCM, bound to NAME) for the store's directory.\n";

constexpr const char* kKeygenUsage =
    "usage: moat secret keygen --out KEYFILE\n"
    "\n"
    "Writes 32 random bytes to KEYFILE (created, mode 0600). Refuses to replace\n"
    "an existing file: secrets sealed with a key cannot be opened without it.\n";

constexpr const char* kSealUsage =
    "usage: moat secret seal --key KEYFILE --name NAME [--in FILE] --out FILE\n"
    "\n"
    "Encrypts the plaintext (FILE, or standard input) with AES-256-GCM under the\n"
    "key, authenticating NAME with it, and writes the sealed file to FILE. Put it\n"
    "at <store path>/NAME; a sealed file renamed or moved to another name fails.\n";

int Keygen(const std::vector<std::string>& args) {
  int exit_code = kExitOk;
  auto flags = ParseCommand("secret keygen", args, kKeygenFlags, kKeygenUsage, &exit_code);
  if (!flags) return exit_code;
  if (!flags->positional().empty() || flags->Get("out").empty())
    return Fail("secret keygen: --out KEYFILE is required", kExitUsage);
  const std::string out = flags->Get("out");
  auto key = secrets::NewSealKey();
  if (!key.ok()) return Fail(key.error());
  UniqueFd fd(::open(out.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fd.valid()) return Fail(ErrnoError(out + ": cannot create (an existing key is kept)"));
  bool ok = ::fchmod(fd.get(), 0600) == 0 &&
            ::write(fd.get(), key->data(), key->size()) == static_cast<ssize_t>(key->size()) &&
            ::fsync(fd.get()) == 0;
  if (!ok) {
    Error e = ErrnoError(out + ": cannot write the key");
    ::unlink(out.c_str());
    return Fail(e);
  }
  return kExitOk;
}

int Seal(const std::vector<std::string>& args) {
  int exit_code = kExitOk;
  auto flags = ParseCommand("secret seal", args, kSealFlags, kSealUsage, &exit_code);
  if (!flags) return exit_code;
  if (!flags->positional().empty() || flags->Get("key").empty() || flags->Get("name").empty() ||
      flags->Get("out").empty()) {
    return Fail("secret seal: --key, --name and --out are required (moat secret seal --help)",
                kExitUsage);
  }
  const std::string name = flags->Get("name");
  if (!launcher::ValidSecretName(name)) {
    return Fail("secret seal: --name: \"" + name +
                    "\" is not a secret name (relative path of letters, digits, _ - .)",
                kExitUsage);
  }
  auto key = secrets::LoadSealKey(flags->Get("key"));
  if (!key.ok()) return Fail(key.error());

  const std::string in = flags->Get("in", "-");
  UniqueFd owned;
  int fd = STDIN_FILENO;
  if (in != "-") {
    owned = UniqueFd(::open(in.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
    if (!owned.valid()) return Fail(ErrnoError(in + ": cannot open"));
    fd = owned.get();
  }
  auto plain = secrets::ReadSecretFd(fd, in == "-" ? "standard input" : in, kMaxSealInput);
  if (!plain.ok()) return Fail(plain.error());
  auto sealed = secrets::SealSecret(*key, name, *plain);
  if (!sealed.ok()) return Fail(sealed.error());

  const std::string out = flags->Get("out");
  auto [dir, base] = SplitPath(out);
  auto dfd = OpenDir(dir);
  if (!dfd.ok()) return Fail(dfd.error());
  struct stat like {};
  like.st_mode = 0600;
  like.st_uid = ::geteuid();
  like.st_gid = ::getegid();
  Status st = ReplaceFileAt(dfd->get(), base, *sealed, &like, out);
  if (!st.ok()) return Fail(st.error());
  return kExitOk;
}

}  // namespace

int RunSecret(const std::vector<std::string>& args) {
  if (args.empty()) {
    (void)std::fputs(kUsage, stderr);
    return kExitUsage;
  }
  const std::string& sub = args[0];
  std::vector<std::string> rest(args.begin() + 1, args.end());
  if (sub == "keygen") return Keygen(rest);
  if (sub == "seal") return Seal(rest);
  if (sub == "--help" || sub == "-h" || sub == "help") return PrintHelp(kUsage, {});
  return Fail("secret: \"" + sub + "\": unknown subcommand (keygen, seal)", kExitUsage);
}

}  // namespace moat::cli
