#include "launcher/harden.h"

#include "base/json_read.h"
#include "launcher/deny.h"
#include "launcher/process_fit.h"
#include "launcher/system_paths.h"

namespace moat::launcher {

using json::Value;

namespace {

Status ApplyReadonlyRoot(Value* config, const Profile& profile, Outcome* out) {
  if (!profile.readonly_rootfs.value_or(false)) return Status::Ok();
  Value* root = config->Find("root");
  if (root == nullptr) return Error{"root: missing"};
  MOAT_TRY(json::ExpectType(*root, json::Type::kObject, "root"));
  bool have = false;
  if (const Value* ro = root->Find("readonly"); ro != nullptr && !ro->is_null()) {
    MOAT_ASSIGN_OR_RETURN(have, json::ReadBool(*ro, "root.readonly"));
  }
  if (have) return Status::Ok();
  root->Set("readonly", Value::Bool(true));
  out->changes.push_back("root.readonly: false -> true");
  return Status::Ok();
}

// True if `inner` lies strictly below `outer` (both clean absolute paths).
bool IsBelow(const std::string& inner, const std::string& outer) {
  if (outer == "/") return inner != "/";
  return inner.size() > outer.size() && inner.compare(0, outer.size(), outer) == 0 &&
         inner[outer.size()] == '/';
}

// Adds the profile's tmpfs mounts where the config has no mount at that
// destination. runc mounts in order, so the tmpfs goes before the first
// mount below its path that no later mount above it covers anyway (an
// appended /tmp would hide a bind mount at /tmp/data), else at the end.
// runc gives a tmpfs the mode of the directory it covers in the image, so
// the owner is set to the container's user to keep it writable.
Status ApplyTmpfs(Value* config, const Profile& profile, Outcome* out) {
  if (profile.tmpfs.empty()) return Status::Ok();
  Value* mounts = config->Find("mounts");
  if (mounts == nullptr || mounts->is_null()) mounts = &config->Set("mounts", Value::Array());
  MOAT_TRY(json::ExpectType(*mounts, json::Type::kArray, "mounts"));
  for (const auto& t : profile.tmpfs) {
    const std::string path = CleanPath(t.path);
    bool present = false;
    // The first mount below `path` after every mount at a parent of it.
    // (None is size_t(-1): g++ -O2 took an optional<size_t> here for maybe-uninitialized.)
    constexpr size_t kNone = static_cast<size_t>(-1);
    size_t first_below = kNone;
    std::string below;
    for (size_t i = 0; i < mounts->items().size(); ++i) {
      const Value& m = mounts->items()[i];
      const std::string at = json::Index("mounts", i);
      MOAT_TRY(json::ExpectType(m, json::Type::kObject, at));
      const Value* d = m.Find("destination");
      if (d == nullptr) return Error{at + ".destination: missing"};
      MOAT_ASSIGN_OR_RETURN(auto dest, json::ReadString(*d, at + ".destination"));
      const std::string clean = CleanPath(dest);
      present = present || clean == path;
      if (IsBelow(path, clean)) {
        first_below = kNone;
      } else if (IsBelow(clean, path) && first_below == kNone) {
        first_below = i;
        below = dest;
      }
    }
    if (present) continue;
    Value m = Value::Object();
    m.Set("destination", Value::String(t.path));
    m.Set("type", Value::String("tmpfs"));
    m.Set("source", Value::String("tmpfs"));
    Value opts = Value::Array();
    for (const auto& o : t.options) opts.Append(Value::String(o));
    opts.Append(Value::String("uid=" + std::to_string(out->uid)));
    opts.Append(Value::String("gid=" + std::to_string(out->gid)));
    m.Set("options", std::move(opts));
    auto& items = mounts->items();
    const std::string where =
        first_below != kNone ? " before " + json::Index("mounts", first_below) + " (" + below + ")"
                             : "";
    const size_t at = first_below != kNone ? first_below : items.size();
    items.insert(items.begin() + static_cast<std::ptrdiff_t>(at), std::move(m));
    out->changes.push_back("mounts: added tmpfs " + t.path + where);
  }
  return Status::Ok();
}

Status ApplyPidsLimit(Value* config, const Profile& profile, Outcome* out) {
  if (!profile.pids_limit) return Status::Ok();
  Value& linux = config->Child("linux");
  MOAT_TRY(json::ExpectType(linux, json::Type::kObject, "linux"));
  Value& res = linux.Child("resources");
  MOAT_TRY(json::ExpectType(res, json::Type::kObject, "linux.resources"));
  Value& pids = res.Child("pids");
  MOAT_TRY(json::ExpectType(pids, json::Type::kObject, "linux.resources.pids"));
  std::string before = "unset";
  if (const Value* l = pids.Find("limit"); l != nullptr && !l->is_null()) {
    MOAT_ASSIGN_OR_RETURN(auto n,
                          json::ReadInt(*l, "linux.resources.pids.limit", INT64_MIN, INT64_MAX));
    if (n > 0 && n <= *profile.pids_limit) return Status::Ok();
    before = l->text();
  }
  pids.Set("limit", Value::Number(*profile.pids_limit));
  out->changes.push_back("linux.resources.pids.limit: " + before + " -> " +
                         std::to_string(*profile.pids_limit));
  return Status::Ok();
}

// Why the caller's linux.seccomp confines nothing ("none", ...), or "" when
// it does: a filter whose default and rules only allow, log or hand the
// decision to the caller's own listener (SCMP_ACT_NOTIFY) stops no syscall.
Result<std::string> UnconfinedFilter(const Value& config) {
  const Value* linux = config.Find("linux");
  const Value* sc = linux != nullptr && linux->is_object() ? linux->Find("seccomp") : nullptr;
  if (sc == nullptr || sc->is_null()) return std::string("none (the process would run unconfined)");
  MOAT_TRY(json::ExpectType(*sc, json::Type::kObject, "linux.seccomp"));
  auto permissive = [](const std::string& a) {
    return a == "SCMP_ACT_ALLOW" || a == "SCMP_ACT_LOG" || a == "SCMP_ACT_NOTIFY";
  };
  const Value* def = sc->Find("defaultAction");
  if (def == nullptr) return Error{"linux.seccomp.defaultAction: missing"};
  MOAT_ASSIGN_OR_RETURN(const std::string d, json::ReadString(*def, "linux.seccomp.defaultAction"));
  if (!permissive(d)) return std::string();
  const Value* rules = sc->Find("syscalls");
  if (rules != nullptr && !rules->is_null()) {
    MOAT_TRY(json::ExpectType(*rules, json::Type::kArray, "linux.seccomp.syscalls"));
    for (size_t i = 0; i < rules->items().size(); ++i) {
      const std::string at = json::Index("linux.seccomp.syscalls", i);
      const Value& r = rules->items()[i];
      MOAT_TRY(json::ExpectType(r, json::Type::kObject, at));
      const Value* a = r.Find("action");
      if (a == nullptr) return Error{at + ".action: missing"};
      MOAT_ASSIGN_OR_RETURN(const std::string action, json::ReadString(*a, at + ".action"));
      if (!permissive(action)) return std::string();
    }
  }
  return "default " + d + " and no rule that stops a syscall (unconfined)";
}

// Replaces linux.seccomp with the profile's filter (SeccompPolicy::kReplace),
// resolved for the final
// bounding set (Docker resolves includes/excludes.caps against the bounding
// set too) and compiled once here, so that what runc cannot load is refused
// before runc runs. A caller's own filter, or none, does not count. A
// profile without `seccomp` keeps a caller's filter that confines, and
// refuses none or one that does not; "unconfined" leaves linux.seccomp alone.
Status ApplySeccomp(Value* config, const Profile& profile, const HardenOptions& options,
                    Outcome* out) {
  if (profile.seccomp_policy == SeccompPolicy::kUnconfined) return Status::Ok();
  if (profile.seccomp_policy == SeccompPolicy::kKeepConfined) {
    MOAT_ASSIGN_OR_RETURN(const std::string unconfined, UnconfinedFilter(*config));
    if (!unconfined.empty()) {
      out->denials.push_back("linux.seccomp: " + unconfined + " and profile \"" + profile.name +
                             "\" names no seccomp filter to put in its place");
    }
    return Status::Ok();
  }
  if (!profile.seccomp_file) {
    return Error{"profile \"" + profile.name + "\": seccomp: " + profile.seccomp +
                 " was not loaded"};
  }
  ResolvedSeccomp r = ResolveSeccomp(*profile.seccomp_file, out->bounding);
  Value want = SeccompToOci(r);
  Status compiled = CompileSeccompCached(r, json::Serialize(want), options.seccomp_cache_dir);
  if (!compiled.ok()) return compiled.error().Wrap("linux.seccomp");
  Value& linux = config->Child("linux");
  MOAT_TRY(json::ExpectType(linux, json::Type::kObject, "linux"));
  const Value* have = linux.Find("seccomp");
  if (have != nullptr && *have == want) return Status::Ok();
  const bool replaced = have != nullptr && !have->is_null();
  linux.Set("seccomp", std::move(want));
  const std::string summary =
      r.default_action == "SCMP_ACT_ALLOW"
          ? "default SCMP_ACT_ALLOW, " + std::to_string(r.syscalls.size()) + " rules"
          : std::to_string(CountAllowed(r)) + " syscalls allowed";
  out->changes.push_back(std::string("linux.seccomp: ") +
                         (replaced ? "replaced by " : "set from ") + profile.seccomp + " (" +
                         summary + ")");
  return Status::Ok();
}

}  // namespace

Result<Outcome> HardenConfig(Value* config, const Profile& profile, const HostView& host,
                             const HardenOptions& options) {
  MOAT_TRY(json::ExpectType(*config, json::Type::kObject, "(top level)"));
  Outcome out;
  std::vector<ResolvedSource> resolved;
  MOAT_TRY(CheckDenyRules(*config, profile, host, options.engine_roots, &out.denials, &resolved));
  // runc mounts exactly the object judged: a symlink in the source can no
  // longer be pointed elsewhere between here and runc. (What remains: a
  // directory on the resolved path swapped for a symlink by someone who can
  // write its parent; engine roots and granted paths are root's.)
  for (const ResolvedSource& r : resolved) {
    Value& m = config->Find("mounts")->items()[r.index];
    out.changes.push_back(json::Index("mounts", r.index) + ".source: " + m.Find("source")->text() +
                          " -> " + r.path);
    m.Set("source", Value::String(r.path));
  }
  Value* process = config->Find("process");
  if (process == nullptr || process->is_null()) return Error{"process: missing"};
  MOAT_TRY(FitProcess(process, "process", profile, FitOptions{}, &out));
  MOAT_TRY(ApplyReadonlyRoot(config, profile, &out));
  MOAT_TRY(ApplyTmpfs(config, profile, &out));
  MOAT_TRY(ApplyPidsLimit(config, profile, &out));
  MOAT_TRY(ApplySeccomp(config, profile, options, &out));
  // Unmasked system paths are a privileged container's: fitted back where privilege is denied.
  if (profile.deny.privileged) MOAT_TRY(ApplySystemPaths(config, &out));
  return out;
}

Result<Outcome> HardenExecProcess(Value* process, const Profile& profile, const CapSet* ceiling) {
  Outcome out;
  FitOptions opts;
  opts.refuse_reductions = profile.exec == ExecPolicy::kRefuse;
  opts.ceiling = ceiling;
  MOAT_TRY(FitProcess(process, "process", profile, opts, &out));
  return out;
}

}  // namespace moat::launcher
