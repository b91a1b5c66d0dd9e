// moat verify: what the trust policy says about a container's image.
//
//   moat verify --bundle DIR --id ID [--output json]
//
// Runs exactly the checks moat-runtime runs at create (identity from engine
// state, trust policy, signatures) and prints the reasoning. Exit 0 when the
// image is allowed, 3 when refused, 1 on error.
#include <cstdio>

#include "base/json.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "shim/bundle.h"
#include "shim/config.h"

namespace moat::cli {

namespace {

const std::vector<FlagSpec> kFlags = {
    {"bundle", true, "the OCI bundle directory (as runc's --bundle)"},
    {"id", true, "the container id (as runc's last argument)"},
    {"output", true, "text (default) or json"},
};

constexpr const char* kUsage =
    "usage: moat verify --bundle DIR --id ID [--output json]\n"
    "\n"
    "Works out, from the engine's own state, which image the container's rootfs\n"
    "comes from and whether the trust policy accepts it, exactly as moat-runtime\n"
    "would at create. Nothing is changed. Exit 0: allowed; 3: refused; 1: error.\n";

void PrintText(const shim::ImageVerdict& v, const std::vector<std::string>& denials) {
  const verify::ImageIdentity& id = v.identity;
  std::printf("engine:     %s\n", verify::EngineName(id.engine));
  if (!id.config_digest.empty()) std::printf("image id:   %s\n", id.config_digest.c_str());
  if (!id.used_reference.empty()) std::printf("used as:    %s\n", id.used_reference.c_str());
  for (const auto& t : id.tags) std::printf("tag:        %s\n", t.c_str());
  for (const auto& m : id.manifests)
    std::printf("manifest:   %s (%s)\n", m.digest.c_str(), m.media_type.c_str());
  if (!v.identity_error.empty()) std::printf("identity error: %s\n", v.identity_error.c_str());
  std::printf("evidence:\n");
  for (const auto& e : id.evidence) std::printf("  - %s\n", e.c_str());
  std::printf("trust:      %s\n", v.trust.allow ? "allowed" : "refused");
  if (!v.trust.scope.empty()) std::printf("scope:      %s\n", v.trust.scope.c_str());
  if (!v.trust.reference.empty()) std::printf("reference:  %s\n", v.trust.reference.c_str());
  if (!v.trust.how.empty()) std::printf("how:        %s\n", v.trust.how.c_str());
  for (const auto& r : v.trust.reasons) std::printf("  reason: %s\n", r.c_str());
  for (const auto& d : denials) std::printf("refused: %s\n", d.c_str());
}

std::string StringArray(const std::vector<std::string>& v) {
  std::string out = "[";
  for (size_t i = 0; i < v.size(); ++i) out += (i ? "," : "") + json::Quote(v[i]);
  return out + "]";
}

void PrintJson(const shim::ImageVerdict& v, const std::vector<std::string>& denials) {
  const bool allow = denials.empty();
  const verify::ImageIdentity& id = v.identity;
  std::vector<std::string> manifests;
  for (const auto& m : id.manifests) manifests.push_back(m.digest);
  std::string out =
      "{\"allow\":" + std::string(allow ? "true" : "false") +
      ",\"engine\":" + json::Quote(verify::EngineName(id.engine)) +
      ",\"id\":" + json::Quote(id.config_digest) +
      ",\"used_reference\":" + json::Quote(id.used_reference) +
      ",\"tags\":" + StringArray(id.tags) + ",\"manifests\":" + StringArray(manifests) +
      ",\"evidence\":" + StringArray(id.evidence) +
      ",\"identity_error\":" + json::Quote(v.identity_error) +
      ",\"trust\":{\"allow\":" + (v.trust.allow ? "true" : "false") +
      ",\"scope\":" + json::Quote(v.trust.scope) +
      ",\"reference\":" + json::Quote(v.trust.reference) + ",\"how\":" + json::Quote(v.trust.how) +
      ",\"reasons\":" + StringArray(v.trust.reasons) + "},\"denials\":" + StringArray(denials) +
      "}\n";
  (void)std::fputs(out.c_str(), stdout);
}

}  // namespace

int RunVerify(const std::vector<std::string>& args) {
  auto flags = Flags::Parse(args, kFlags);
  if (!flags.ok()) return Fail("verify: " + flags.error().message, kExitUsage);
  if (flags->Has("help")) return PrintHelp(kUsage, kFlags);
  const std::string output = flags->Get("output", "text");
  if (output != "text" && output != "json")
    return Fail("verify: --output: \"" + output + "\" is not text or json", kExitUsage);
  if (!flags->positional().empty() || !flags->Has("bundle") || !flags->Has("id"))
    return Fail("verify: --bundle DIR and --id ID are required (moat verify --help)", kExitUsage);

  auto config = shim::LoadConfig();
  if (!config.ok()) return Fail(config.error());
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
