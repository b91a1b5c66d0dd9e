// moat run [--profile NAME] [--image oci:DIR[:REF]] BUNDLE ID
//
// The hardened launcher for a bundle with no engine behind it: the checks and
// the rewrite moat-runtime makes at create, applied to a copy of BUNDLE's
// config.json in a private bundle under state_dir (the operator's bundle is
// not modified), then `<runtime> run` of that copy in the foreground. Its
// exit status is the container's; the private bundle is removed afterwards.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "base/fs.h"
#include "base/json.h"
#include "base/log.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "secrets/dir.h"
#include "shim/argv.h"
#include "shim/bundle.h"
#include "shim/runtime.h"
#include "shim/state.h"
#include "verify/identity/oci_layout.h"

namespace moat::cli {

namespace {

const std::vector<FlagSpec> kFlags = {
    {"profile", true, "the hardening profile (default: moat.conf's default_profile)"},
    {"image", true, "oci:DIR[:REF], the OCI image layout the bundle was unpacked from"},
};

constexpr const char* kUsage =
    "usage: moat run [--profile NAME] [--image oci:DIR[:REF]] BUNDLE ID\n"
    "\n"
    "Checks BUNDLE as moat-runtime would at create and, when it may run, starts\n"
    "a hardened copy of it with the downstream runtime's `run`, in the\n"
    "foreground. BUNDLE itself is not modified. The image is the one --image\n"
    "names (manifest and config digests checked); without --image the image is\n"
    "unknown and only a policy whose default scope accepts anything lets it run.\n";

/// "oci:DIR[:REF]" -> DIR, REF.
Result<std::pair<std::string, std::string>> ParseImage(const std::string& s) {
  if (s.rfind("oci:", 0) != 0) return Error{"--image: " + json::Quote(s) + " is not oci:DIR[:REF]"};
  std::string rest = s.substr(4);
  size_t colon = rest.find(':');
  std::string dir = rest.substr(0, colon);
  std::string ref = colon == std::string::npos ? "" : rest.substr(colon + 1);
  if (dir.empty() || dir[0] != '/')
    return Error{"--image: " + json::Quote(dir) + " is not absolute"};
  return std::make_pair(dir, ref);
}

/// Makes root.path absolute (relative paths are relative to the bundle).
Status AbsoluteRoot(json::Value* config, const std::string& bundle) {
  json::Value* root = config->Find("root");
  json::Value* path = root != nullptr ? root->Find("path") : nullptr;
  if (path == nullptr || !path->is_string()) return Error{"root.path: missing"};
  if (!path->text().empty() && path->text()[0] == '/') return Status::Ok();
  std::unique_ptr<char, decltype(&std::free)> real(::realpath(bundle.c_str(), nullptr), &std::free);
  if (!real) return ErrnoError(bundle + ": cannot resolve");
  *path = json::Value::String(std::string(real.get()) + "/" + path->text());
  return Status::Ok();
}

/// Removes the private bundle when `moat run` returns.
struct PrivateBundle {
  std::string dir;
  ~PrivateBundle() {
    if (dir.empty()) return;
    (void)::unlink((dir + "/config.json").c_str());
    (void)::rmdir(dir.c_str());
  }
};

}  // namespace

int RunRun(const std::vector<std::string>& args) {
  int exit_code = kExitOk;
  auto flags = ParseCommand("run", args, kFlags, kUsage, &exit_code);
  if (!flags) return exit_code;
  if (flags->positional().size() != 2)
    return Fail("run: BUNDLE and ID are required (moat run --help)", kExitUsage);
  const std::string bundle = flags->positional()[0];
  const std::string id = flags->positional()[1];
  if (!ValidContainerId(id)) return Fail("run: container id \"" + id + "\" is not valid");

  auto config = shim::LoadConfig();
  if (!config.ok()) return Fail(config.error());
  if (flags->Has("profile")) config->default_profile = flags->Get("profile");
  Result<verify::ImageIdentity> identity = verify::ImageIdentity{};
  identity->evidence.push_back("moat run without --image: no image is named");
  if (flags->Has("image")) {
    auto image = ParseImage(flags->Get("image"));
    if (!image.ok()) return Fail(image.error());
    identity = verify::ResolveOciLayout(image->first, image->second);
  }
  auto plan = shim::PlanBundle(*config, id, bundle, &identity);
  if (!plan.ok()) return Fail(plan.error());
  if (!plan->secrets.empty()) {
    return Fail("run: profile \"" + plan->profile.name +
                "\" gives secrets, which moat run does not deliver (start the bundle through "
                "moat-runtime)");
  }

  Logger log;
  shim::Invocation inv;
  inv.verb = shim::Verb::kRun;
  shim::Context ctx{*config, inv, log};
  shim::AuditRecord rec;
  rec.verb = "moat-run";
  rec.id = id;
  rec.bundle = plan->bundle;
  rec.profile = plan->profile.name;
  rec.image = plan->image.audit;
  PrivateBundle priv;
  auto apply = [&]() -> Status {
    MOAT_TRY(AbsoluteRoot(&plan->config, bundle));
    const std::string base = config->state_dir + "/run";
    MOAT_TRY(MakeDirs(base, 0700));
    const std::string dir = base + "/" + id;
    if (::mkdir(dir.c_str(), 0700) != 0) return ErrnoError(dir + ": cannot create");
    priv.dir = dir;
    MOAT_ASSIGN_OR_RETURN(auto fd, OpenDir(dir));
    MOAT_TRY(ReplaceFileAt(fd.get(), "config.json", json::Serialize(plan->config), nullptr,
                           dir + "/config.json"));
    // This process runs the container (runc run, foreground) to its end.
    MOAT_ASSIGN_OR_RETURN(auto creator, ThisCreator(RuntimeRoot("", config->runtime)));
    shim::ContainerState state{plan->profile.name,
                               plan->outcome.bounding,
                               plan->rule.rule.empty() ? "default" : plan->rule.rule,
                               {}};
    for (const rules::Exception* e : plan->rule.applied) state.exceptions.push_back(e->name);
    return shim::SaveContainerState(config->state_dir, id, state, creator);
  };
  Status decided = shim::Decide(ctx, rec, plan->denials, plan->outcome.changes, apply);
  if (!decided.ok()) return Fail(decided.error(), kExitDeny);
  // Audit mode rewrites nothing: the operator's bundle runs as it is.
  const std::string run_bundle = priv.dir.empty() ? bundle : priv.dir;
  std::vector<std::string> argv_s = {config->runtime, "run", "--bundle", run_bundle, id};
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  // A Ctrl-C reaches runc from the terminal; a SIGTERM or SIGHUP sent to
  // moat is passed on, and moat waits for runc to end before cleaning up.
  int rc = shim::RunRuntimeChild(*config, argv.data(), log);
  shim::RemoveContainerState(config->state_dir, id);
  return rc;
}

}  // namespace moat::cli
