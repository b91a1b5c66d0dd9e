// moat verify: what the trust policy says about a container's image.
//
//   moat verify --bundle DIR --id ID [--output json]
//   moat verify IMAGE-REF [--output json]
//   moat verify dir:DIR --reference REF [--output json]
//   moat verify oci:DIR[:NAME] [--reference REF] [--output json]
//
// Runs exactly the checks moat-runtime runs at create (identity from engine
// state, trust policy, signatures) and prints the reasoning. For a copy of an
// image (dir:, oci:) the identity is the copy's manifests alone (no config
// blob, no layers needed). Exit 0 when the image is allowed, 3 when refused,
// 1 on error.
#include <cstdio>

#include "base/json.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/report.h"
#include "shim/bundle.h"
#include "shim/config.h"
#include "shim/image_check.h"
#include "verify/identity/docker_resolver.h"
#include "verify/identity/identity_json.h"
#include "verify/identity/image_copy.h"

namespace moat::cli {

namespace {

const std::vector<FlagSpec> kFlags = {
    {"bundle", true, "the OCI bundle directory (as runc's --bundle)"},
    {"id", true, "the container id (as runc's last argument)"},
    {"output", true, "text (default) or json"},
    {"reference", true, "dir:/oci: the docker reference to judge the copy for"},
};

constexpr const char* kUsage =
    "usage: moat verify --bundle DIR --id ID [--output json]\n"
    "       moat verify IMAGE-REF [--output json]\n"
    "       moat verify dir:DIR --reference REF [--output json]\n"
    "       moat verify oci:DIR[:NAME] [--reference REF] [--output json]\n"
    "\n"
    "With --bundle: works out, from the engine's own state, which image the\n"
    "container's rootfs comes from and whether the trust policy accepts it, and\n"
    "what the profile refuses, exactly as moat-runtime would at create.\n"
    "With IMAGE-REF (a name or an image id in dockerd's store, docker_root in\n"
    "moat.conf): what the trust policy says about that image when a container is\n"
    "created from it by that name.\n"
    "With dir:DIR (a `skopeo copy ... dir:DIR` copy; only manifest.json and\n"
    "signature-N are read): whether the policy accepts it as REF, checking only\n"
    "the signatures stored in the copy. With oci:DIR[:NAME] (an OCI layout;\n"
    "NAME is index.json's org.opencontainers.image.ref.name, needed when it\n"
    "holds more than one manifest): judged as REF, else as NAME when NAME is a\n"
    "full docker reference, with the signatures of the trust store's lookaside.\n"
    "Nothing is changed. Exit 0: allowed; 3: refused; 1: error.\n";

void PrintText(const shim::ImageVerdict& v, const std::vector<std::string>& denials) {
  const Style st{UseColor()};
  std::string out = ImageText(v, st);
  for (const auto& d : denials) out += "refused: " + st.Paint(d, "31") + "\n";
  (void)std::fputs(out.c_str(), stdout);
}

void PrintJson(const shim::ImageVerdict& v, const std::vector<std::string>& denials) {
  json::Value out = ImageJson(v);
  out.Set("allow", json::Value::Bool(denials.empty()));
  out.Set("denials", verify::StringArray(denials));
  (void)std::fputs((json::Serialize(out) + "\n").c_str(), stdout);
}

}  // namespace

int RunVerify(const std::vector<std::string>& args) {
  int exit_code = kExitOk;
  auto flags = ParseCommand("verify", args, kFlags, kUsage, &exit_code);
  if (!flags) return exit_code;
  auto output_format = OutputFormat(*flags, "verify");
  if (!output_format) return kExitUsage;
  const std::string& output = *output_format;
  const bool by_bundle = flags->Has("bundle") || flags->Has("id");
  if (by_bundle ? (!flags->positional().empty() || !flags->Has("bundle") || !flags->Has("id"))
                : flags->positional().size() != 1)
    return Fail("verify: give --bundle DIR --id ID, or one IMAGE-REF (moat verify --help)",
                kExitUsage);
  const std::string target = by_bundle ? "" : flags->positional()[0];
  const bool is_dir = target.rfind("dir:", 0) == 0;
  const bool is_oci = target.rfind("oci:", 0) == 0;
  if (flags->Has("reference") && !is_dir && !is_oci)
    return Fail("verify: --reference is for dir: and oci: copies only", kExitUsage);
  if (is_dir && !flags->Has("reference"))
    return Fail("verify: dir:DIR needs --reference REF (moat verify --help)", kExitUsage);

  auto config = shim::LoadConfig();
  if (!config.ok()) return Fail(config.error());
  if (!by_bundle) {
    Result<verify::ImageIdentity> identity = Error{""};
    if (is_dir || is_oci) {
      const std::string rest = target.substr(4);
      if (rest.empty()) return Fail("verify: " + target + ": no directory", kExitUsage);
      // A colon ends the directory, as containers/image's oci: transport splits it.
      const size_t colon = is_oci ? rest.find(':') : std::string::npos;
      const std::string dir = rest.substr(0, colon);
      const std::string name = colon == std::string::npos ? "" : rest.substr(colon + 1);
      identity = is_dir ? verify::ResolveDirCopy(dir, flags->Get("reference"))
                        : verify::ResolveOciCopy(dir, name, flags->Get("reference"));
      // A copy that cannot be read is bad input (exit 1), not a refusal.
      if (!identity.ok()) return Fail(identity.error());
    } else {
      verify::DockerResolveInput in;
      in.docker_root = config->docker_root;
      identity = verify::ResolveDockerImage(in, target);
    }
    auto v = shim::JudgeImage(*config, std::move(identity));
    if (!v.ok()) return Fail(v.error());
    if (output == "json") {
      PrintJson(*v, v->denials);
    } else {
      PrintText(*v, v->denials);
    }
    return v->denials.empty() ? kExitOk : kExitDeny;
  }
  auto plan = shim::PlanBundle(*config, flags->Get("id"), flags->Get("bundle"));
  if (!plan.ok()) return Fail(plan.error());
  // The image's denials and the profile's: everything create would refuse for.
  if (output == "json") {
    PrintJson(plan->image, plan->denials);
  } else {
    PrintText(plan->image, plan->denials);
  }
  return plan->denials.empty() ? kExitOk : kExitDeny;
}

}  // namespace moat::cli
