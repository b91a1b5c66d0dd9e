#include "shim/image_check.h"

#include <sys/stat.h>

#include <optional>

#include "base/time.h"
#include "shim/fetch_on_miss.h"
#include "verify/identity/containerd_resolver.h"
#include "verify/identity/docker_resolver.h"
#include "verify/identity/podman_resolver.h"
#include "verify/signature/lookaside.h"
#include "verify/signature/policy.h"
#include "verify/signature/registries_d.h"

namespace moat::shim {

namespace {

std::string RootPath(const json::Value& spec, const std::string& bundle) {
  const json::Value* root = spec.Find("root");
  const json::Value* path = root != nullptr ? root->Find("path") : nullptr;
  if (path == nullptr || !path->is_string()) return "";
  if (!path->text().empty() && path->text()[0] == '/') return path->text();
  return bundle + "/" + path->text();
}

std::string RawRootPath(const json::Value& spec) {
  const json::Value* root = spec.Find("root");
  const json::Value* path = root != nullptr ? root->Find("path") : nullptr;
  return path != nullptr && path->is_string() ? path->text() : "";
}

// The engine that made the container, from state only the engine writes:
// dockerd's record of the container id, or a containerd task or podman
// bundle path (which ResolveContainerd / ResolvePodman then check against
// the engine's records).
bool IsDockerContainer(const Config& c, const std::string& id) {
  struct stat st {};
  return ::lstat((c.docker_root + "/containers/" + id + "/config.v2.json").c_str(), &st) == 0;
}

bool IsContainerdBundle(const Config& c, const std::string& bundle) {
  return verify::ParseContainerdBundle(bundle, c.containerd_state).ok();
}

Result<verify::ImageIdentity> Resolve(const Config& c, const std::string& id,
                                      const std::string& bundle, const json::Value& spec) {
  if (IsDockerContainer(c, id)) {
    verify::DockerResolveInput in;
    in.container_id = id;
    in.root_path = RootPath(spec, bundle);
    in.docker_root = c.docker_root;
    return verify::ResolveDocker(in);
  }
  if (IsContainerdBundle(c, bundle)) {
    verify::ContainerdResolveInput in;
    in.bundle = bundle;
    in.container_id = id;
    in.root_path = RawRootPath(spec);
    in.state_dir = c.containerd_state;
    in.containerd_root = c.containerd_root;
    return verify::ResolveContainerd(in);
  }
  if (verify::IsPodmanBundle(bundle, id, c.podman_root)) {
    verify::PodmanResolveInput in;
    in.bundle = bundle;
    in.container_id = id;
    in.root_path = RawRootPath(spec);
    in.podman_root = c.podman_root;
    return verify::ResolvePodman(in);
  }
  verify::ImageIdentity none;
  none.evidence.push_back("no engine record of container " + id + " (not in " + c.docker_root +
                          "/containers, bundle not under " + c.containerd_state +
                          "/io.containerd.runtime.v2.task or " + c.podman_root +
                          "/overlay-containers)");
  return none;
}

// The scan verdict for the image's manifest digests, under the rules of the
// name the trust policy accepted it under (else the name it was used by).
Status CheckVerdict(const Config& c, ImageVerdict* v) {
  std::vector<std::string> digests;
  for (const auto& m : v->identity.manifests) digests.push_back(m.digest);
  const std::string& name =
      !v->trust.reference.empty() ? v->trust.reference : v->identity.used_reference;
  std::optional<verify::Reference> ref;
  if (!name.empty()) {
    auto r = verify::ParseNormalizedNamed(name);
    if (r.ok()) ref = std::move(r.value());
  }
  auto d = verify::CheckVerdict(*c.verdicts, digests, ref ? &*ref : nullptr, NowUnix(),
                                verify::VerdictStoreOptions(), c.state_dir + "/cache/verdicts");
  if (!d.ok()) return d.error().Wrap(c.file);
  v->verdict = std::move(d.value());
  v->verdict_checked = true;
  for (auto& pair : verify::VerdictAudit(v->verdict)) v->audit.push_back(std::move(pair));
  for (const auto& r : v->verdict.reasons) v->denials.push_back(r);
  return Status::Ok();
}

// True when the image has a registry manifest and a name, and no signature
// is stored for any of its manifests under that name: the case
// fetch_on_miss is for (a stored signature that fails is not a miss).
bool NothingStored(const verify::RegistriesD& registries, const verify::ImageIdentity& image) {
  if (image.used_reference.empty() || image.manifests.empty()) return false;
  auto ref = verify::ParseNormalizedNamed(image.used_reference);
  if (!ref.ok()) return false;
  auto base = registries.LookasideFor(*ref);
  if (!base.ok()) return false;
  for (const auto& m : image.manifests) {
    auto dir = verify::SignatureDir(base->dir, *ref, m.digest);
    if (!dir.ok()) return false;
    auto sigs = verify::ReadLookasideSignatures(*dir);
    if (!sigs.ok() || !sigs->empty()) return false;
  }
  return true;
}

}  // namespace

Result<ImageVerdict> CheckImage(const Config& config, const std::string& id,
                                const std::string& bundle, const json::Value& spec) {
  return JudgeImage(config, Resolve(config, id, bundle, spec));
}

Result<ImageVerdict> JudgeImage(const Config& config, Result<verify::ImageIdentity> resolved) {
  MOAT_ASSIGN_OR_RETURN(auto policy, verify::LoadPolicy(config.policy));
  MOAT_ASSIGN_OR_RETURN(auto registries, verify::LoadRegistriesD(config.registries_d));

  ImageVerdict v;
  if (!resolved.ok()) {
    v.identity_error = resolved.error().Describe();
    v.denials.push_back("image identity: " + v.identity_error);
    v.audit.emplace_back("identity_error", v.identity_error);
    return v;
  }
  v.identity = std::move(resolved.value());
  const verify::ImageIdentity& image = v.identity;
  v.trust = verify::EvaluateTrust(policy, registries, image, config.state_dir + "/cache/gpg");
  std::string fetch_failure;
  if (!v.trust.allow && config.fetch_on_miss.enabled && NothingStored(registries, image)) {
    // Fail closed: only a fetch that succeeded leads to judging again, and
    // only what the policy then accepts from the store is allowed.
    FetchOutcome fetched = FetchOnMiss(config, image.used_reference);
    v.audit.emplace_back("fetch", fetched.summary);
    if (fetched.ok) {
      v.trust = verify::EvaluateTrust(policy, registries, image, config.state_dir + "/cache/gpg");
    } else {
      fetch_failure = "fetch_on_miss: " + fetched.summary;
    }
  }
  const verify::TrustDecision& d = v.trust;
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
    if (!fetch_failure.empty()) reasons += "; " + fetch_failure;
    v.denials.push_back(what + " is not trusted by " + config.policy + ": " + reasons);
  }
  if (config.verdicts) MOAT_TRY(CheckVerdict(config, &v));
  return v;
}

}  // namespace moat::shim
