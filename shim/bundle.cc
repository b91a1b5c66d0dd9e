// create, run, restore: the bundle's config.json is read once through a
// directory fd, hardened, and replaced atomically before runc reads it.
#include "shim/bundle.h"

#include <unistd.h>

#include <climits>
#include <cstdlib>

#include "launcher/host.h"
#include "shim/runtime.h"
#include "shim/state.h"

namespace moat::shim {

namespace {

// A rewrite takes milliseconds; a temporary file this old is a dead moat's.
constexpr int kStaleTemporarySeconds = 60;

std::string BundlePath(const Invocation& inv) {
  if (const std::string* b = inv.Last("bundle"); b != nullptr && !b->empty()) return *b;
  char cwd[PATH_MAX];
  if (::getcwd(cwd, sizeof cwd) == nullptr) return ".";
  return cwd;
}

// runc refuses a rootfs that is, or passes through, a symbolic link
// (libcontainer/configs/validate: EvalSymlinks(Abs(rootfs)) must equal
// Clean(rootfs), a relative root.path taken from the bundle's resolved
// path). moat refuses it first: what it checks about the rootfs must be
// what runc mounts, and the error names the field.
Status CheckRootPath(const std::string& bundle, const json::Value& config,
                     const std::string& file) {
  const json::Value* root = config.Find("root");
  const json::Value* path = root != nullptr ? root->Find("path") : nullptr;
  if (path == nullptr || !path->is_string() || path->text().empty()) return Status::Ok();
  std::string full = path->text();
  if (full[0] != '/') {
    char* b = ::realpath(bundle.c_str(), nullptr);
    if (b == nullptr) return ErrnoError(bundle + ": cannot resolve the bundle directory");
    full = std::string(b) + "/" + full;
    std::free(b);
  }
  const std::string clean = launcher::CleanPath(full);
  char* real = ::realpath(clean.c_str(), nullptr);
  if (real == nullptr) return Status::Ok();  // missing: runc says so
  const std::string resolved = real;
  std::free(real);
  if (resolved != clean) {
    return Error{file + ": root.path: " + json::Quote(path->text()) +
                 " is or passes through a symbolic link (to " + json::Quote(resolved) +
                 "): refused"};
  }
  return Status::Ok();
}

}  // namespace

Result<json::Value> ParseBundleConfig(std::string_view text, const std::string& file) {
  json::Limits limits;
  limits.max_bytes = kMaxConfigBytes;
  limits.go_fold_keys = true;  // read keys as runc's Go decoder will
  auto spec = json::Parse(text, limits);
  if (!spec.ok()) return spec.error().Wrap(file);
  return spec;
}

Result<BundlePlan> PlanBundle(const Config& config, const std::string& id,
                              const std::string& bundle) {
  BundlePlan plan;
  plan.bundle = bundle;
  plan.file = bundle + "/config.json";
  // What runc reads must be what moat checked: nobody but root may change
  // the bundle directory's entries or config.json itself.
  auto tf = OpenTrustedFile(plan.file);
  if (!tf.ok()) return tf.error();
  plan.tf = std::move(tf.value());
  auto text = ReadFd(plan.tf.fd.get(), plan.file, kMaxConfigBytes);
  if (!text.ok()) return text.error();
  plan.original = std::move(text.value());
  auto spec = ParseBundleConfig(plan.original, plan.file);
  if (!spec.ok()) return spec.error();
  plan.config = std::move(spec.value());
  MOAT_TRY(CheckRootPath(bundle, plan.config, plan.file));

  auto image = CheckImage(config, id, bundle, plan.config);
  if (!image.ok()) return image.error();
  plan.image = std::move(image.value());

  auto profile = launcher::LoadProfile(config.profiles_dir, config.default_profile);
  if (!profile.ok()) return profile.error();
  plan.profile = std::move(profile.value());
  launcher::HostSystem host;
  auto outcome = launcher::HardenConfig(&plan.config, plan.profile, host);
  if (!outcome.ok()) return outcome.error().Wrap(plan.file);
  plan.outcome = std::move(outcome.value());

  plan.denials = plan.image.denials;
  for (const auto& d : plan.outcome.denials)
    plan.denials.push_back("profile \"" + plan.profile.name + "\": " + d);
  return plan;
}

Status CheckBundle(const Context& ctx) {
  const std::string verb = VerbName(ctx.inv.verb);
  const std::string id = ctx.inv.ContainerId();
  if (!ValidContainerId(id)) return Error{verb + ": container id \"" + id + "\" is not valid"};
  auto plan = PlanBundle(ctx.config, id, BundlePath(ctx.inv));
  if (!plan.ok()) return plan.error();
  BundlePlan& p = plan.value();

  AuditRecord rec;
  rec.verb = verb;
  rec.id = id;
  rec.bundle = p.bundle;
  rec.profile = p.profile.name;
  rec.image = p.image.audit;
  auto apply = [&]() -> Status {
    if (!p.outcome.changes.empty()) {
      MOAT_TRY(
          ReplaceFileAt(p.tf.dir.get(), p.tf.name, json::Serialize(p.config), &p.tf.st, p.file));
    }
    // What an earlier moat killed mid-rewrite left beside config.json.
    (void)RemoveStaleTemporaries(p.tf.dir.get(), p.tf.name, kStaleTemporarySeconds);
    // Later exec and update calls are held to this profile and bounding set.
    return SaveContainerState(ctx.config.state_dir, id,
                              ContainerState{p.profile.name, p.outcome.bounding});
  };
  MOAT_TRY(Decide(ctx, rec, p.denials, p.outcome.changes, apply));
  for (const auto& c : p.outcome.changes) ctx.log.Debug(verb + " " + id + ": " + c);
  return Status::Ok();
}

}  // namespace moat::shim
