#include "shim/image_check.h"

#include <sys/stat.h>

#include "verify/docker_resolver.h"
#include "verify/policy.h"
#include "verify/registries_d.h"
#include "verify/trust.h"

namespace moat::shim {

namespace {

std::string RootPath(const json::Value& config, const std::string& bundle) {
  const json::Value* root = config.Find("root");
  const json::Value* path = root != nullptr ? root->Find("path") : nullptr;
  if (path == nullptr || !path->is_string()) return "";
  if (!path->text().empty() && path->text()[0] == '/') return path->text();
  return bundle + "/" + path->text();
}

// The engine that made the container, from state only the engine writes.
bool IsDockerContainer(const Config& c, const std::string& id) {
  struct stat st {};
  return ::lstat((c.docker_root + "/containers/" + id + "/config.v2.json").c_str(), &st) == 0;
}

}  // namespace

Result<ImageVerdict> CheckImage(const Context& ctx, const std::string& id,
                                const std::string& bundle, const json::Value& config) {
  auto policy = verify::LoadPolicy(ctx.config.policy);
  if (!policy.ok()) return policy.error();
  auto registries = verify::LoadRegistriesD(ctx.config.registries_d);
  if (!registries.ok()) return registries.error();

  ImageVerdict v;
  verify::ImageIdentity image;
  if (IsDockerContainer(ctx.config, id)) {
    verify::DockerResolveInput in;
    in.container_id = id;
    in.root_path = RootPath(config, bundle);
    in.docker_root = ctx.config.docker_root;
    auto resolved = verify::ResolveDocker(in);
    if (!resolved.ok()) {
      v.denials.push_back("image identity: " + resolved.error().Describe());
      return v;
    }
    image = std::move(resolved.value());
  } else {
    image.evidence.push_back("no engine record of container " + id + " (not in " +
                             ctx.config.docker_root + "/containers)");
  }
  verify::TrustDecision d =
      verify::EvaluateTrust(*policy, *registries, image, ctx.config.state_dir + "/cache/gpg");
  const std::string what =
      image.config_digest.empty() ? "image of unknown origin" : "image " + image.config_digest;
  v.audit.emplace_back("engine", verify::EngineName(image.engine));
  if (!image.config_digest.empty()) v.audit.emplace_back("id", image.config_digest);
  if (!image.used_reference.empty()) v.audit.emplace_back("used_reference", image.used_reference);
  v.audit.emplace_back("trusted", d.allow ? "yes" : "no");
  if (!d.scope.empty()) v.audit.emplace_back("scope", d.scope);
  if (!d.reference.empty()) v.audit.emplace_back("reference", d.reference);
  if (!d.how.empty()) v.audit.emplace_back("how", d.how);
  std::string evidence;
  for (const auto& e : image.evidence) evidence += (evidence.empty() ? "" : "; ") + e;
  v.audit.emplace_back("evidence", evidence);
  if (!d.allow) {
    std::string reasons;
    for (const auto& r : d.reasons) reasons += (reasons.empty() ? "" : "; ") + r;
    v.denials.push_back(what + " is not trusted by " + ctx.config.policy + ": " + reasons);
  }
  return v;
}

}  // namespace moat::shim
