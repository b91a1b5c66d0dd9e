// create, run, restore: the bundle's config.json is read once through a
// directory fd, hardened, and replaced atomically before runc reads it.
#include <sys/stat.h>
#include <unistd.h>

#include <climits>

#include "base/fs.h"
#include "base/json.h"
#include "launcher/harden.h"
#include "shim/runtime.h"
#include "shim/state.h"

namespace moat::shim {

namespace {

constexpr size_t kMaxConfigBytes = 16u << 20;

struct Rewrite {
  int dirfd;
  const json::Value* config;
  const struct stat* like;
  std::string display;
};

Status ApplyRewrite(void* arg) {
  auto* r = static_cast<Rewrite*>(arg);
  return ReplaceFileAt(r->dirfd, "config.json", json::Serialize(*r->config), r->like, r->display);
}

std::string BundlePath(const Invocation& inv) {
  if (const std::string* b = inv.Last("bundle"); b != nullptr && !b->empty()) return *b;
  char cwd[PATH_MAX];
  if (::getcwd(cwd, sizeof cwd) == nullptr) return ".";
  return cwd;
}

}  // namespace

Status CheckBundle(const Context& ctx) {
  const std::string verb = VerbName(ctx.inv.verb);
  const std::string id = ctx.inv.ContainerId();
  if (!ValidContainerId(id)) return Error{verb + ": container id \"" + id + "\" is not valid"};
  const std::string bundle = BundlePath(ctx.inv);
  const std::string file = bundle + "/config.json";

  auto dir = OpenDir(bundle);
  if (!dir.ok()) return dir.error();
  MOAT_TRY(CheckDirNotHijackable(dir->get(), bundle));
  auto fd = OpenRegularAt(dir->get(), "config.json", file);
  if (!fd.ok()) return fd.error();
  struct stat st {};
  if (::fstat(fd->get(), &st) != 0) return ErrnoError(file + ": cannot stat");
  // What runc reads must be what moat checked: nobody but root may change it.
  MOAT_TRY(CheckRootOwned(st, file));
  auto text = ReadFd(fd->get(), file, kMaxConfigBytes);
  if (!text.ok()) return text.error();
  json::Limits limits;
  limits.max_bytes = kMaxConfigBytes;
  limits.go_fold_keys = true;  // read keys as runc's Go decoder will
  auto config = json::Parse(*text, limits);
  if (!config.ok()) return config.error().Wrap(file);

  auto profile = launcher::LoadProfile(ctx.config.profiles_dir, ctx.config.default_profile);
  if (!profile.ok()) return profile.error();
  launcher::HostSystem host;
  auto outcome = launcher::HardenConfig(&config.value(), *profile, host);
  if (!outcome.ok()) return outcome.error().Wrap(file);

  AuditRecord rec;
  rec.verb = verb;
  rec.id = id;
  rec.bundle = bundle;
  rec.profile = profile->name;
  Rewrite rw{dir->get(), &config.value(), &st, file};
  const bool write = !outcome->changes.empty();
  MOAT_TRY(Decide(ctx, rec, outcome->denials, outcome->changes, write ? ApplyRewrite : nullptr,
                  &rw));
  if (ctx.config.mode == Mode::kEnforce) {
    MOAT_TRY(SaveContainerState(ctx.config.state_dir, id,
                                ContainerState{profile->name, outcome->bounding}));
  }
  for (const auto& c : outcome->changes) ctx.log.Debug(verb + " " + id + ": " + c);
  return Status::Ok();
}

}  // namespace moat::shim
