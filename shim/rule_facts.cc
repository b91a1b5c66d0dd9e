#include "shim/rule_facts.h"

#include "base/fs.h"
#include "verify/common/reference.h"
#include "verify/identity/containerd_resolver.h"

namespace moat::shim {

namespace {

std::string VerdictClass(const ImageVerdict& v) {
  if (!v.verdict_checked) return "unchecked";
  switch (v.verdict.outcome) {
    case verify::VerdictOutcome::kPass:
      return v.verdict.allowlisted.empty() ? "clean" : "allowlisted";
    case verify::VerdictOutcome::kNotRequired:
      return "not-required";
    case verify::VerdictOutcome::kMissing:
      return "missing";
    case verify::VerdictOutcome::kFail:
      return "fail";
  }
  return "fail";
}

void ReadStringMap(const json::Value* obj, std::map<std::string, std::string>* out) {
  if (obj == nullptr || !obj->is_object()) return;
  for (const auto& m : obj->members()) {
    if (m.second.is_string()) (*out)[m.first] = m.second.text();
  }
}

Status ReadDockerLabels(const Config& c, const std::string& id,
                        std::map<std::string, std::string>* out) {
  const std::string file = c.docker_root + "/containers/" + id + "/config.v2.json";
  MOAT_ASSIGN_OR_RETURN(auto tf, OpenTrustedFile(file));
  MOAT_ASSIGN_OR_RETURN(auto text, ReadFd(tf.fd.get(), file, 16u << 20));
  auto doc = json::Parse(text);
  if (!doc.ok()) return doc.error().Wrap(file);
  const json::Value* cfg = doc->Find("Config");
  ReadStringMap(cfg != nullptr ? cfg->Find("Labels") : nullptr, out);
  return Status::Ok();
}

}  // namespace

Result<rules::Facts> GatherFacts(const Config& config, const std::string& id,
                                 const std::string& bundle, const json::Value& spec,
                                 const ImageVerdict& image) {
  rules::Facts f;
  const verify::ImageIdentity& im = image.identity;
  f.engine = verify::EngineName(im.engine);
  if (im.engine == verify::Engine::kContainerd) {
    auto b = verify::ParseContainerdBundle(bundle, config.containerd_state);
    if (b.ok()) f.containerd_namespace = b->ns;
  }
  f.image_id = im.config_digest;
  for (const auto& m : im.manifests) f.manifest_digests.push_back(m.digest);
  f.trusted = image.trust.allow && image.identity_error.empty();
  if (f.trusted) {
    f.reference = image.trust.reference;
    f.scope = image.trust.scope;
    if (!f.reference.empty()) {
      auto r = verify::ParseNormalizedNamed(f.reference);
      if (r.ok()) f.repository = r->Name();
    }
    for (const auto& s : image.trust.signers) {
      f.signers.push_back(
          {s.type == verify::RequirementType::kSignedBy ? "signedBy" : "sigstoreSigned", s.key});
    }
  }
  f.verdict = VerdictClass(image);
  ReadStringMap(spec.Find("annotations"), &f.annotations);
  if (im.engine == verify::Engine::kDocker) MOAT_TRY(ReadDockerLabels(config, id, &f.labels));
  return f;
}

}  // namespace moat::shim
