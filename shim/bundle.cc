// create, run, restore: the bundle's config.json is read once through a
// directory fd, hardened, and replaced atomically before runc reads it.
#include <unistd.h>

#include <climits>

#include "base/fs.h"
#include "base/json.h"
#include "launcher/harden.h"
#include "shim/image_check.h"
#include "shim/runtime.h"
#include "shim/state.h"

namespace moat::shim {

namespace {

constexpr size_t kMaxConfigBytes = 16u << 20;

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

  // What runc reads must be what moat checked: nobody but root may change
  // the bundle directory's entries or config.json itself.
  auto tf = OpenTrustedFile(file);
  if (!tf.ok()) return tf.error();
  auto text = ReadFd(tf->fd.get(), file, kMaxConfigBytes);
  if (!text.ok()) return text.error();
  json::Limits limits;
  limits.max_bytes = kMaxConfigBytes;
  limits.go_fold_keys = true;  // read keys as runc's Go decoder will
  auto config = json::Parse(*text, limits);
  if (!config.ok()) return config.error().Wrap(file);

  auto verdict = CheckImage(ctx, id, bundle, *config);
  if (!verdict.ok()) return verdict.error();

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
  rec.image = verdict->audit;
  std::vector<std::string> denials = verdict->denials;
  for (const auto& d : outcome->denials)
    denials.push_back("profile \"" + profile->name + "\": " + d);
  auto apply = [&]() -> Status {
    if (!outcome->changes.empty()) {
      MOAT_TRY(ReplaceFileAt(tf->dir.get(), tf->name, json::Serialize(*config), &tf->st, file));
    }
    // Later exec and update calls are held to this profile and bounding set.
    return SaveContainerState(ctx.config.state_dir, id,
                              ContainerState{profile->name, outcome->bounding});
  };
  MOAT_TRY(Decide(ctx, rec, denials, outcome->changes, apply));
  for (const auto& c : outcome->changes) ctx.log.Debug(verb + " " + id + ": " + c);
  return Status::Ok();
}

}  // namespace moat::shim
