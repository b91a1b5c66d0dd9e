// create, run, restore: the bundle's config.json is read once through a
// directory fd, hardened, and replaced atomically before runc reads it.
#include "shim/bundle.h"

#include <unistd.h>

#include <climits>
#include <cstdlib>

#include "base/time.h"
#include "launcher/host.h"
#include "secrets/dir.h"
#include "shim/rule_facts.h"
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

// A secret that cannot be delivered refuses the container in either mode:
// audit mode relaxes the profile's rules, not the delivery of what the
// container is meant to get. The record names the secret, never its value.
Status RefuseSecrets(const Context& ctx, Mode mode, AuditRecord rec,
                     const std::vector<std::string>& changes, const Error& why) {
  rec.mode = rules::ModeName(mode);
  rec.decision = "deny";
  rec.changes = changes;
  rec.reasons = {why.Describe()};
  Status st = WriteAudit(ctx.config.audit_log, rec);
  if (!st.ok()) ctx.log.Warning(st.error().Describe());
  return Error{rec.verb + " " + rec.id + " refused: " + why.Describe()};
}

// Fills the container's secrets tmpfs (when a secret is a file) and puts
// the opted-in ones into `cfg`'s process.env.
Status DeliverSecrets(const Context& ctx, const std::string& id, const std::string& root,
                      const secrets::SecretPlan& secrets,
                      const std::vector<secrets::SecretBytes>& values, json::Value* cfg,
                      secrets::SecretDir* dir) {
  if (secrets.NeedsDir()) {
    uint64_t bytes = 0;
    for (const auto& v : values) bytes += v.size();
    auto made =
        secrets::SecretDir::Create(ctx.config.state_dir, id, root, bytes, secrets.items.size());
    if (!made.ok()) return made.error();
    *dir = std::move(made.value());
    for (size_t i = 0; i < secrets.items.size(); ++i) {
      const secrets::SecretItem& s = secrets.items[i];
      if (!s.target.empty())
        MOAT_TRY(dir->Write(s.file, values[i], s.host_uid, s.host_gid, s.mode));
    }
  }
  return secrets::AddSecretEnv(secrets, values, cfg);
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
                              const std::string& bundle,
                              const Result<verify::ImageIdentity>* identity, int64_t now) {
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

  auto image = identity != nullptr ? JudgeImage(config, *identity)
                                   : CheckImage(config, id, bundle, plan.config);
  if (!image.ok()) return image.error();
  plan.image = std::move(image.value());

  MOAT_ASSIGN_OR_RETURN(rules::Facts facts,
                        GatherFacts(config, id, bundle, plan.config, plan.image));
  auto load = [&](const std::string& name) {
    return launcher::LoadProfile(config.profiles_dir, name);
  };
  MOAT_ASSIGN_OR_RETURN(plan.rule, rules::Evaluate(config.rules, facts, now < 0 ? NowUnix() : now,
                                                   config.mode, config.default_profile, load));
  plan.mode = plan.rule.mode;
  plan.profile = plan.rule.profile;
  launcher::HostSystem host;
  launcher::HardenOptions options;
  options.seccomp_cache_dir = config.state_dir + "/seccomp-cache";
  options.engine_roots = EngineRoots(config, id);
  auto outcome = launcher::HardenConfig(&plan.config, plan.profile, host, options);
  if (!outcome.ok()) return outcome.error().Wrap(plan.file);
  plan.outcome = std::move(outcome.value());

  auto secrets =
      secrets::PlanSecrets(config.secrets, config.state_dir, id, plan.profile, plan.image.trust);
  if (!secrets.ok()) return secrets.error();
  plan.secrets = std::move(secrets.value());
  std::vector<std::string> secret_denials;
  MOAT_TRY(
      secrets::CheckSecretExposure(config.secrets, config.state_dir, plan.config, &secret_denials));
  if (!plan.secrets.empty()) {
    Status owners = secrets::ResolveSecretOwners(&plan.secrets, plan.config, plan.outcome.uid,
                                                 plan.outcome.gid);
    if (!owners.ok()) return owners.error().Wrap(plan.file);
    Status mounts = secrets::AddSecretMounts(plan.secrets, &plan.config, &plan.outcome.changes,
                                             &secret_denials);
    if (!mounts.ok()) return mounts.error().Wrap(plan.file);
  }

  plan.denials = plan.image.denials;
  for (const auto& d : plan.outcome.denials)
    plan.denials.push_back("profile \"" + plan.profile.name + "\": " + d);
  for (const auto& d : secret_denials)
    plan.denials.push_back("profile \"" + plan.profile.name + "\": " + d);
  // An exception past its `until` grants nothing; a container it would
  // have let through is refused, and the refusal names it. So is a rule on
  // untrusted labels or annotations that was ignored because it would grant
  // more: whoever set them learns why they changed nothing.
  if (!plan.denials.empty()) {
    for (const std::string& r : plan.rule.ignored) plan.denials.push_back(r);
    for (const rules::Exception* e : plan.rule.expired)
      plan.denials.push_back(rules::ExpiredNote(*e));
  }
  return plan;
}

Status CheckBundle(const Context& ctx) {
  const std::string verb = VerbName(ctx.inv.verb);
  const std::string id = ctx.inv.ContainerId();
  if (!ValidContainerId(id)) return Error{verb + ": container id \"" + id + "\" is not valid"};
  // runc refuses an id it already has, but only after moat would have
  // rewritten this bundle and replaced that container's state record (the
  // ceiling its exec calls are held to) with this bundle's: refuse it first,
  // touching nothing. (Two creates of one new id at once can both pass here:
  // SaveContainerState lets only one of them record the container.)
  const std::string root = RuntimeRoot(ctx.inv.global.root, ctx.config.runtime);
  if (RuntimeHasContainer(root, id)) {
    return Error{verb + ": container \"" + id + "\" already exists under " + root};
  }
  // Secrets of containers that are gone (a crash, a failed create, runc run).
  secrets::SweepSecretDirs(ctx.config.state_dir, ctx.log);
  auto plan = PlanBundle(ctx.config, id, BundlePath(ctx.inv));
  if (!plan.ok()) return plan.error();
  BundlePlan& p = plan.value();

  AuditRecord rec;
  rec.verb = verb;
  rec.id = id;
  rec.bundle = p.bundle;
  rec.profile = p.profile.name;
  rec.rule = p.rule.rule.empty() ? "default" : p.rule.rule;
  for (const rules::Exception* e : p.rule.applied) rec.exceptions.push_back(e->name);
  for (const rules::Exception* e : p.rule.expired) rec.expired_exceptions.push_back(e->name);
  rec.image = p.image.audit;
  rec.warnings = secrets::SecretEnvWarnings(p.secrets);
  for (const auto& w : rec.warnings) ctx.log.Warning(verb + " " + id + ": " + w);

  // Secrets go to every container that will run: in enforce mode one the
  // profile lets through, in audit mode every one.
  // The rule's mode (moat.conf `mode` for default_profile or a rule without one).
  const bool audit = p.mode == Mode::kAudit;
  const bool runs = audit || p.mode == Mode::kWarn || p.denials.empty();
  std::vector<secrets::SecretBytes> values;
  if (!p.secrets.empty() && runs) {
    auto loaded = secrets::LoadSecrets(ctx.config.secrets, p.secrets);
    if (!loaded.ok()) return RefuseSecrets(ctx, p.mode, rec, p.outcome.changes, loaded.error());
    values = std::move(loaded.value());
  }
  secrets::SecretDir dir;  // wiped when this returns, unless kept
  // Delivers the secrets, then writes `cfg` over config.json.
  auto write = [&](const secrets::SecretPlan& secrets, json::Value* cfg, bool changed) -> Status {
    MOAT_TRY(DeliverSecrets(ctx, id, root, secrets, values, cfg, &dir));
    if (!changed && secrets.empty()) return Status::Ok();
    std::string text = json::Serialize(*cfg);
    Status st = ReplaceFileAt(p.tf.dir.get(), p.tf.name, text, &p.tf.st, p.file);
    if (secrets.HasEnv()) {
      secrets::WipeString(&text);
      secrets::WipeSecretEnv(secrets, cfg);
    }
    return st;
  };
  if (audit && !p.secrets.empty()) {
    // The container runs as requested, so its secrets go into the original
    // config, owned by the uid it will really run as.
    auto original = ParseBundleConfig(p.original, p.file);
    if (!original.ok()) return original.error();
    auto ids = secrets::ProcessIds(*original);
    if (!ids.ok()) return ids.error().Wrap(p.file);
    secrets::SecretPlan secrets = p.secrets;
    MOAT_TRY(secrets::ResolveSecretOwners(&secrets, *original, ids->first, ids->second));
    // The plan's lines for the secrets (one each, last) give enforce mode's
    // owners; the record says what was done.
    std::vector<std::string> denials;  // already in the plan
    p.outcome.changes.resize(p.outcome.changes.size() - p.secrets.items.size());
    MOAT_TRY(secrets::AddSecretMounts(secrets, &original.value(), &p.outcome.changes, &denials));
    MOAT_TRY(write(secrets, &original.value(), true));
  }
  auto apply = [&]() -> Status {
    MOAT_TRY(write(p.secrets, &p.config, !p.outcome.changes.empty()));
    // What an earlier moat killed mid-rewrite left beside config.json.
    (void)RemoveStaleTemporaries(p.tf.dir.get(), p.tf.name, kStaleTemporarySeconds);
    // Later exec and update calls are held to this profile and bounding set.
    MOAT_ASSIGN_OR_RETURN(auto creator, ThisCreator(root));
    // Later exec and update calls are held to this profile, widened again by
    // these exceptions while they last, and to this bounding set.
    ContainerState state{p.profile.name, p.outcome.bounding, rec.rule, rec.exceptions};
    return SaveContainerState(ctx.config.state_dir, id, state, creator);
  };
  MOAT_TRY(Decide(ctx, rec, p.denials, p.outcome.changes, apply, p.mode));
  dir.Keep();
  for (const auto& c : p.outcome.changes) ctx.log.Debug(verb + " " + id + ": " + c);
  return Status::Ok();
}

}  // namespace moat::shim
