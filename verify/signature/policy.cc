// containers-policy.json(5) parsing, after containers/image
// signature/policy_config.go and policy_config_sigstore.go.
#include "verify/signature/policy.h"

#include <sys/stat.h>

#include <array>
#include <cstdint>

#include "base/fs.h"
#include "base/json.h"
#include "base/json_read.h"
#include "verify/common/base64.h"
#include "verify/common/scope.h"

namespace moat::verify {
namespace {

using json::Field;
using json::Index;
using json::Quote;
using json::Type;
using json::Value;

// containers/image transports/alltransports (ostree only with its build tag).
constexpr std::array<std::string_view, 11> kTransports = {
    "atomic", "containers-storage", "dir",    "docker", "docker-archive", "docker-daemon",
    "oci",    "oci-archive",        "ostree", "sif",    "tarball"};

struct Ctx {
  const PolicyOptions& options;
  bool read_keys;  // key files are read only where moat evaluates
};

std::string ScopePath(const std::string& path, std::string_view scope) {
  return path + "[" + Quote(scope) + "]";
}

// Standard base64 with padding, as Go's encoding/json decodes []byte:
// '\r' and '\n' are skipped; anything else outside the alphabet, bad padding
// or non-zero bits after the last byte are errors.
Result<std::string> DecodeKeyData(std::string_view in) {
  std::string chars;
  chars.reserve(in.size());
  for (char c : in) {
    if (c != '\r' && c != '\n') chars += c;
  }
  if (chars.size() % 4 != 0) return Error{"invalid base64: length is not a multiple of 4"};
  std::string out;
  out.reserve(chars.size() / 4 * 3);
  for (size_t i = 0; i < chars.size(); i += 4) {
    const bool last = i + 4 == chars.size();
    int pad = 0;
    if (last && chars[i + 3] == '=') pad = chars[i + 2] == '=' ? 2 : 1;
    int v[4] = {0, 0, 0, 0};
    for (int j = 0; j < 4 - pad; ++j) {
      v[j] = Base64Value(chars[i + static_cast<size_t>(j)]);
      if (v[j] < 0) return Error{"invalid base64: unexpected character"};
    }
    uint32_t n = (static_cast<uint32_t>(v[0]) << 18) | (static_cast<uint32_t>(v[1]) << 12) |
                 (static_cast<uint32_t>(v[2]) << 6) | static_cast<uint32_t>(v[3]);
    out += static_cast<char>((n >> 16) & 0xff);
    if (pad < 2) out += static_cast<char>((n >> 8) & 0xff);
    if (pad < 1) out += static_cast<char>(n & 0xff);
    if ((pad == 2 && (n & 0xffff) != 0) || (pad == 1 && (n & 0xff) != 0)) {
      return Error{"invalid base64: non-zero padding bits"};
    }
  }
  return out;
}

Result<std::string> ReadRequiredString(const Value& obj, std::string_view key,
                                       const std::string& path) {
  const Value* v = obj.Find(key);
  if (v == nullptr) return Error{Field(path, key) + ": missing"};
  return json::ReadString(*v, Field(path, key));
}

Status ReadKeyFile(const std::string& file, const std::string& field, const Ctx& ctx,
                   std::vector<TrustedKey>* keys) {
  if (file.empty() || file.front() != '/') {
    return Error{field + ": " + Quote(file) + " must be an absolute path"};
  }
  if (!ctx.read_keys || !ctx.options.read_key_files) {
    keys->push_back(TrustedKey{file, ""});
    return Status::Ok();
  }
  struct stat st {};
  auto bytes = ReadFileNoFollow(file, ctx.options.max_key_bytes, &st);
  if (!bytes.ok()) return bytes.error().Wrap(field);
  if (ctx.options.require_root_owned) {
    Status owned = CheckRootOwned(st, file);
    if (!owned.ok()) return owned.error().Wrap(field);
  }
  if (bytes->empty()) return Error{field + ": " + file + ": empty key file"};
  keys->push_back(TrustedKey{file, std::move(bytes.value())});
  return Status::Ok();
}

Status ReadKeyData(const Value& v, const std::string& field, std::vector<TrustedKey>* keys,
                   std::string source) {
  MOAT_ASSIGN_OR_RETURN(auto text, json::ReadString(v, field));
  auto bytes = DecodeKeyData(text);
  if (!bytes.ok()) return bytes.error().Wrap(field);
  if (bytes->empty()) return Error{field + ": empty key"};
  keys->push_back(TrustedKey{std::move(source), std::move(bytes.value())});
  return Status::Ok();
}

// keyPath / keyPaths / keyData (/ keyDatas): exactly one present.
Status ReadKeys(const Value& obj, const std::string& path, const Ctx& ctx,
                std::initializer_list<std::string_view> sources, std::vector<TrustedKey>* keys) {
  std::vector<std::string_view> present;
  for (std::string_view s : sources) {
    if (obj.Find(s) != nullptr) present.push_back(s);
  }
  std::string names;
  for (std::string_view s : sources) {
    names += (names.empty() ? "" : ", ") + std::string(s);
  }
  if (present.size() != 1) {
    std::string found = present.empty() ? "none" : "";
    for (std::string_view s : present) found += (found.empty() ? "" : " and ") + std::string(s);
    return Error{path + ": exactly one of " + names + " must be present, found " + found};
  }
  const std::string_view key = present[0];
  const Value& v = *obj.Find(key);
  const std::string field = Field(path, key);
  // keyPath, rekorPublicKeyPath; keyData, rekorPublicKeyData; then the plurals.
  if (key.ends_with("Path")) {
    MOAT_ASSIGN_OR_RETURN(auto file, json::ReadString(v, field));
    return ReadKeyFile(file, field, ctx, keys);
  }
  if (key.ends_with("Data")) return ReadKeyData(v, field, keys, std::string(key));
  MOAT_TRY(json::ExpectType(v, Type::kArray, field));
  if (v.items().empty()) return Error{field + ": must not be empty"};
  for (size_t i = 0; i < v.items().size(); ++i) {
    const std::string item = Index(field, i);
    if (key.ends_with("Paths")) {
      MOAT_ASSIGN_OR_RETURN(auto file, json::ReadString(v.items()[i], item));
      MOAT_TRY(ReadKeyFile(file, item, ctx, keys));
    } else {
      MOAT_TRY(ReadKeyData(v.items()[i], item, keys, Index(std::string(key), i)));
    }
  }
  return Status::Ok();
}

// validateIdentityRemappingPrefix, minus what can never match: a host[:port]
// that is a registry host, optionally followed by "/" and a namespace path.
Status CheckRemapPrefix(const std::string& s, const std::string& field) {
  auto slash = s.find('/');
  std::string_view host = std::string_view(s).substr(0, slash);
  bool ok = IsValidDomain(host) && LooksLikeDomain(host) &&
            (slash == std::string::npos || IsValidPath(std::string_view(s).substr(slash + 1)));
  if (!ok) {
    return Error{field + ": " + Quote(s) +
                 " is not a host[:port] or host[:port]/namespace in fully expanded form"};
  }
  if (host == "index.docker.io") {
    return Error{field + ": " + Quote(s) +
                 " never matches: Docker Hub images are named docker.io/..."};
  }
  return Status::Ok();
}

Result<SignedIdentity> ParseIdentity(const Value& v, const std::string& path) {
  MOAT_TRY(json::ExpectType(v, Type::kObject, path));
  MOAT_ASSIGN_OR_RETURN(auto type, ReadRequiredString(v, "type", path));
  SignedIdentity id;
  const std::string& t = type;
  if (t == "matchExact" || t == "matchRepoDigestOrExact" || t == "matchRepository") {
    MOAT_TRY(json::CheckObject(v, path, {"type"}));
    id.type = t == "matchExact"        ? IdentityMatch::kMatchExact
              : t == "matchRepository" ? IdentityMatch::kMatchRepository
                                       : IdentityMatch::kMatchRepoDigestOrExact;
  } else if (t == "exactReference" || t == "exactRepository") {
    const bool exact = t == "exactReference";
    const std::string_view key = exact ? "dockerReference" : "dockerRepository";
    MOAT_TRY(json::CheckObject(v, path, {"type", key}));
    MOAT_ASSIGN_OR_RETURN(auto text, ReadRequiredString(v, key, path));
    auto ref = ParseNormalizedNamed(text);
    if (!ref.ok()) return ref.error().Wrap(Field(path, key));
    if (exact && IsNameOnly(*ref)) {
      return Error{Field(path, key) + ": " + Quote(text) + " has neither a tag nor a digest"};
    }
    id.type = exact ? IdentityMatch::kExactReference : IdentityMatch::kExactRepository;
    id.reference = std::move(ref.value());
  } else if (t == "remapIdentity") {
    MOAT_TRY(json::CheckObject(v, path, {"type", "prefix", "signedPrefix"}));
    auto prefix = ReadRequiredString(v, "prefix", path);
    if (!prefix.ok()) return prefix.error();
    auto signed_prefix = ReadRequiredString(v, "signedPrefix", path);
    if (!signed_prefix.ok()) return signed_prefix.error();
    MOAT_TRY(CheckRemapPrefix(*prefix, Field(path, "prefix")));
    MOAT_TRY(CheckRemapPrefix(*signed_prefix, Field(path, "signedPrefix")));
    id.type = IdentityMatch::kRemapIdentity;
    id.prefix = std::move(prefix.value());
    id.signed_prefix = std::move(signed_prefix.value());
  } else {
    return Error{Field(path, "type") + ": unknown signedIdentity type " + Quote(t)};
  }
  return id;
}

Status ParseOptionalIdentity(const Value& v, const std::string& path, SignedIdentity* out) {
  const Value* si = v.Find("signedIdentity");
  if (si == nullptr) return Status::Ok();  // matchRepoDigestOrExact
  auto id = ParseIdentity(*si, Field(path, "signedIdentity"));
  if (!id.ok()) return id.error();
  *out = std::move(id.value());
  return Status::Ok();
}

// A …Path / …Data pair naming one blob of PEM certificates (fulcio's caPath/
// caData, pki's caRoots*/caIntermediates*). Both present is an error; neither
// is one when `required`.
Status ReadBlobPair(const Value& obj, const std::string& path, std::string_view path_key,
                    std::string_view data_key, bool required, const Ctx& ctx, std::string* source,
                    std::string* bytes) {
  const Value* pv = obj.Find(path_key);
  const Value* dv = obj.Find(data_key);
  if (pv != nullptr && dv != nullptr) {
    return Error{path + ": " + std::string(path_key) + " and " + std::string(data_key) +
                 " cannot be used simultaneously"};
  }
  if (pv == nullptr && dv == nullptr) {
    if (!required) return Status::Ok();
    return Error{path + ": one of " + std::string(path_key) + " and " + std::string(data_key) +
                 " must be specified"};
  }
  std::vector<TrustedKey> got;
  if (pv != nullptr) {
    const std::string field = Field(path, path_key);
    MOAT_ASSIGN_OR_RETURN(auto file, json::ReadString(*pv, field));
    MOAT_TRY(ReadKeyFile(file, field, ctx, &got));
  } else {
    MOAT_TRY(ReadKeyData(*dv, Field(path, data_key), &got, Field(path, data_key)));
  }
  *source = got[0].source;
  *bytes = std::move(got[0].bytes);
  return Status::Ok();
}

Result<std::string> ReadOptionalNonEmpty(const Value& obj, std::string_view key,
                                         const std::string& path) {
  const Value* v = obj.Find(key);
  if (v == nullptr) return std::string();
  MOAT_ASSIGN_OR_RETURN(auto s, json::ReadString(*v, Field(path, key)));
  if (s.empty()) return Error{Field(path, key) + ": must not be empty"};
  return s;
}

Status ParseFulcio(const Value& v, const std::string& path, const Ctx& ctx, FulcioTrust* out) {
  MOAT_TRY(json::ExpectType(v, Type::kObject, path));
  MOAT_TRY(json::CheckObject(v, path, {"caPath", "caData", "oidcIssuer", "subjectEmail"}));
  MOAT_TRY(ReadBlobPair(v, path, "caPath", "caData", true, ctx, &out->ca_source, &out->ca_pem));
  MOAT_ASSIGN_OR_RETURN(out->oidc_issuer, ReadOptionalNonEmpty(v, "oidcIssuer", path));
  if (out->oidc_issuer.empty()) return Error{Field(path, "oidcIssuer") + ": not specified"};
  MOAT_ASSIGN_OR_RETURN(out->subject_email, ReadOptionalNonEmpty(v, "subjectEmail", path));
  if (out->subject_email.empty()) return Error{Field(path, "subjectEmail") + ": not specified"};
  return Status::Ok();
}

Status ParsePki(const Value& v, const std::string& path, const Ctx& ctx, PkiTrust* out) {
  MOAT_TRY(json::ExpectType(v, Type::kObject, path));
  MOAT_TRY(json::CheckObject(v, path,
                             {"caRootsPath", "caRootsData", "caIntermediatesPath",
                              "caIntermediatesData", "subjectEmail", "subjectHostname"}));
  MOAT_TRY(ReadBlobPair(v, path, "caRootsPath", "caRootsData", true, ctx, &out->roots_source,
                        &out->roots_pem));
  MOAT_TRY(ReadBlobPair(v, path, "caIntermediatesPath", "caIntermediatesData", false, ctx,
                        &out->intermediates_source, &out->intermediates_pem));
  MOAT_ASSIGN_OR_RETURN(out->subject_email, ReadOptionalNonEmpty(v, "subjectEmail", path));
  MOAT_ASSIGN_OR_RETURN(out->subject_hostname, ReadOptionalNonEmpty(v, "subjectHostname", path));
  if (out->subject_email.empty() && out->subject_hostname.empty()) {
    return Error{path + ": at least one of subjectEmail and subjectHostname must be specified"};
  }
  return Status::Ok();
}

// sigstoreSigned, with containers/image's newPRSigstoreSigned rules.
Status ParseSigstoreSigned(const Value& v, const std::string& path, const Ctx& ctx,
                           Requirement* r) {
  MOAT_TRY(json::CheckObject(
      v, path,
      {"type", "keyPath", "keyPaths", "keyData", "keyDatas", "fulcio", "pki", "rekorPublicKeyPath",
       "rekorPublicKeyPaths", "rekorPublicKeyData", "rekorPublicKeyDatas", "signedIdentity"}));
  r->type = RequirementType::kSigstoreSigned;
  MOAT_TRY(ParseOptionalIdentity(v, path, &r->identity));
  const bool fulcio = v.Find("fulcio") != nullptr;
  const bool pki = v.Find("pki") != nullptr;
  std::string found;
  for (std::string_view k : {"keyPath", "keyPaths", "keyData", "keyDatas", "fulcio", "pki"}) {
    if (v.Find(k) != nullptr) found += (found.empty() ? "" : " and ") + std::string(k);
  }
  if (found.empty() || found.find(" and ") != std::string::npos) {
    return Error{path +
                 ": exactly one of keyPath, keyPaths, keyData, keyDatas, fulcio and pki must be "
                 "present, found " +
                 (found.empty() ? "none" : found)};
  }
  std::string rekor;
  for (std::string_view k :
       {"rekorPublicKeyPath", "rekorPublicKeyPaths", "rekorPublicKeyData", "rekorPublicKeyDatas"}) {
    if (v.Find(k) != nullptr) rekor += (rekor.empty() ? "" : " and ") + std::string(k);
  }
  if (rekor.find(" and ") != std::string::npos) {
    return Error{path +
                 ": at most one of rekorPublicKeyPath, rekorPublicKeyPaths, rekorPublicKeyData "
                 "and rekorPublicKeyDatas may be present, found " +
                 rekor};
  }
  if (fulcio && rekor.empty()) {
    return Error{Field(path, "fulcio") +
                 ": requires one of rekorPublicKeyPath, rekorPublicKeyPaths, rekorPublicKeyData "
                 "and rekorPublicKeyDatas"};
  }
  if (pki && !rekor.empty()) {
    return Error{Field(path, rekor) + ": not supported with pki"};
  }
  if (!rekor.empty()) {
    MOAT_TRY(ReadKeys(v, path, ctx, {std::string_view(rekor)}, &r->rekor_keys));
  }
  if (fulcio) {
    r->key_source = SigstoreKeySource::kFulcio;
    return ParseFulcio(*v.Find("fulcio"), Field(path, "fulcio"), ctx, &r->fulcio);
  }
  if (pki) {
    r->key_source = SigstoreKeySource::kPki;
    return ParsePki(*v.Find("pki"), Field(path, "pki"), ctx, &r->pki);
  }
  return ReadKeys(v, path, ctx, {"keyPath", "keyPaths", "keyData", "keyDatas"}, &r->keys);
}

Result<Requirement> ParseRequirement(const Value& v, const std::string& path, const Ctx& ctx) {
  MOAT_TRY(json::ExpectType(v, Type::kObject, path));
  MOAT_ASSIGN_OR_RETURN(auto type, ReadRequiredString(v, "type", path));
  Requirement r;
  r.where = path;
  const std::string& t = type;
  if (t == "insecureAcceptAnything" || t == "reject") {
    MOAT_TRY(json::CheckObject(v, path, {"type"}));
    r.type = t == "reject" ? RequirementType::kReject : RequirementType::kInsecureAcceptAnything;
  } else if (t == "signedBy") {
    MOAT_TRY(json::CheckObject(
        v, path, {"type", "keyType", "keyPath", "keyPaths", "keyData", "signedIdentity"}));
    MOAT_ASSIGN_OR_RETURN(auto key_type, ReadRequiredString(v, "keyType", path));
    if (key_type == "signedByGPGKeys" || key_type == "X509Certificates" ||
        key_type == "signedByX509CAs") {
      return Error{Field(path, "keyType") + ": " + Quote(key_type) +
                   " is not implemented (containers/image rejects every image with it); "
                   "use \"GPGKeys\""};
    }
    if (key_type != "GPGKeys") {
      return Error{Field(path, "keyType") + ": unknown keyType " + Quote(key_type) +
                   " (must be \"GPGKeys\")"};
    }
    r.type = RequirementType::kSignedBy;
    MOAT_TRY(ParseOptionalIdentity(v, path, &r.identity));
    MOAT_TRY(ReadKeys(v, path, ctx, {"keyPath", "keyPaths", "keyData"}, &r.keys));
  } else if (t == "sigstoreSigned") {
    MOAT_TRY(ParseSigstoreSigned(v, path, ctx, &r));
  } else if (t == "signedBaseLayer") {
    MOAT_TRY(json::CheckObject(v, path, {"type", "baseLayerIdentity"}));
    const Value* bli = v.Find("baseLayerIdentity");
    if (bli == nullptr) return Error{Field(path, "baseLayerIdentity") + ": missing"};
    auto id = ParseIdentity(*bli, Field(path, "baseLayerIdentity"));
    if (!id.ok()) return id.error();
    r.type = RequirementType::kSignedBaseLayer;
    r.identity = std::move(id.value());
  } else {
    return Error{Field(path, "type") + ": unknown requirement type " + Quote(t)};
  }
  return r;
}

Result<Requirements> ParseRequirements(const Value& v, const std::string& path, const Ctx& ctx) {
  MOAT_TRY(json::ExpectType(v, Type::kArray, path));
  if (v.items().empty()) {
    return Error{path +
                 ": must not be empty (an empty list would accept anything; say "
                 "[{\"type\":\"insecureAcceptAnything\"}] if that is meant)"};
  }
  Requirements out;
  for (size_t i = 0; i < v.items().size(); ++i) {
    auto r = ParseRequirement(v.items()[i], Index(path, i), ctx);
    if (!r.ok()) return r.error();
    out.push_back(std::move(r.value()));
  }
  return out;
}

Result<TransportScopes> ParseTransport(const Value& v, const std::string& name,
                                       const std::string& path, const PolicyOptions& options) {
  MOAT_TRY(json::ExpectType(v, Type::kObject, path));
  const bool docker = name == "docker";
  const Ctx ctx{options, docker};
  TransportScopes out;
  for (const auto& [scope, reqs] : v.members()) {
    const std::string scope_path = ScopePath(path, scope);
    if (docker && !scope.empty()) {
      Status st = ValidateDockerScope(scope);
      if (!st.ok()) return st.error().Wrap(scope_path);
    }
    auto r = ParseRequirements(reqs, scope_path, ctx);
    if (!r.ok()) return r.error();
    out.emplace(scope, std::move(r.value()));
  }
  return out;
}

Result<Policy> ParseRoot(const Value& root, const PolicyOptions& options) {
  MOAT_TRY(json::CheckObject(root, "", {"default", "transports"}));
  Policy p;
  const Value* def = root.Find("default");
  if (def == nullptr) return Error{"default: missing (the global default policy is mandatory)"};
  auto d = ParseRequirements(*def, "default", Ctx{options, true});
  if (!d.ok()) return d.error();
  p.default_requirements = std::move(d.value());

  const Value* transports = root.Find("transports");
  if (transports == nullptr) return p;
  MOAT_TRY(json::ExpectType(*transports, Type::kObject, "transports"));
  for (const auto& [name, scopes] : transports->members()) {
    const std::string path = Field("transports", name);
    bool known = false;
    for (std::string_view t : kTransports) known = known || t == name;
    if (!known) {
      std::string list;
      for (std::string_view t : kTransports) list += (list.empty() ? "" : ", ") + std::string(t);
      return Error{path + ": unknown transport (known: " + list + ")"};
    }
    auto t = ParseTransport(scopes, name, path, options);
    if (!t.ok()) return t.error();
    p.transports.emplace(name, std::move(t.value()));
  }
  return p;
}

bool MatchRepoDigestOrExact(const Reference& intended, const Reference& signature) {
  if (IsNameOnly(signature)) return false;
  if (!intended.tag.empty()) return signature.String() == intended.String();
  if (!intended.digest.empty()) return signature.Name() == intended.Name();
  return false;
}

bool MatchExact(const Reference& intended, const Reference& signature) {
  if (IsNameOnly(intended) || IsNameOnly(signature)) return false;
  return signature.String() == intended.String();
}

// prmRemapIdentity.refMatchesPrefix: the whole name, or the prefix then "/".
bool NameMatchesPrefix(const std::string& name, const std::string& prefix) {
  if (name.size() < prefix.size()) return false;
  if (name.size() == prefix.size()) return name == prefix;
  return name.compare(0, prefix.size(), prefix) == 0 && name[prefix.size()] == '/';
}

}  // namespace

Result<Policy> ParsePolicy(std::string_view text, const std::string& display,
                           const PolicyOptions& options) {
  json::Limits limits;
  limits.max_bytes = options.max_policy_bytes;
  auto root = json::Parse(text, limits);
  if (!root.ok()) return root.error().Wrap(display);
  auto p = ParseRoot(*root, options);
  if (!p.ok()) return p.error().Wrap(display);
  return p;
}

Result<Policy> LoadPolicy(const std::string& path, const PolicyOptions& options) {
  struct stat st {};
  MOAT_ASSIGN_OR_RETURN(auto text, ReadFileNoFollow(path, options.max_policy_bytes, &st));
  if (options.require_root_owned) MOAT_TRY(CheckRootOwned(st, path));
  return ParsePolicy(text, path, options);
}

const Requirements& Policy::ForDocker(const Reference& ref, std::string* matched) const {
  auto it = transports.find("docker");
  if (it != transports.end()) {
    const TransportScopes& scopes = it->second;
    for (const std::string& scope : DockerScopes(ref)) {
      auto s = scopes.find(scope);
      if (s != scopes.end()) {
        if (matched != nullptr) *matched = ScopePath("transports.docker", scope);
        return s->second;
      }
    }
    auto s = scopes.find("");
    if (s != scopes.end()) {
      if (matched != nullptr) *matched = ScopePath("transports.docker", "");
      return s->second;
    }
  }
  if (matched != nullptr) *matched = "default";
  return default_requirements;
}

bool MatchesSignedIdentity(const SignedIdentity& identity, const Reference& image_ref,
                           const Reference& signature_ref) {
  switch (identity.type) {
    case IdentityMatch::kMatchExact:
      return MatchExact(image_ref, signature_ref);
    case IdentityMatch::kMatchRepoDigestOrExact:
      return MatchRepoDigestOrExact(image_ref, signature_ref);
    case IdentityMatch::kMatchRepository:
      return signature_ref.Name() == image_ref.Name();
    case IdentityMatch::kExactReference:
      return MatchExact(identity.reference, signature_ref);
    case IdentityMatch::kExactRepository:
      return signature_ref.Name() == identity.reference.Name();
    case IdentityMatch::kRemapIdentity: {
      if (!NameMatchesPrefix(image_ref.Name(), identity.prefix)) {
        return MatchRepoDigestOrExact(image_ref, signature_ref);
      }
      // image_ref.String() starts with its Name(), which starts with the prefix.
      std::string rewritten =
          identity.signed_prefix + image_ref.String().substr(identity.prefix.size());
      auto remapped = ParseCanonicalNamed(rewritten);
      if (!remapped.ok()) return false;
      return MatchRepoDigestOrExact(*remapped, signature_ref);
    }
  }
  return false;
}

const char* RequirementTypeName(RequirementType t) {
  switch (t) {
    case RequirementType::kReject:
      return "reject";
    case RequirementType::kInsecureAcceptAnything:
      return "insecureAcceptAnything";
    case RequirementType::kSignedBy:
      return "signedBy";
    case RequirementType::kSigstoreSigned:
      return "sigstoreSigned";
    case RequirementType::kSignedBaseLayer:
      return "signedBaseLayer";
  }
  return "reject";
}

const char* IdentityMatchName(IdentityMatch m) {
  switch (m) {
    case IdentityMatch::kMatchRepoDigestOrExact:
      return "matchRepoDigestOrExact";
    case IdentityMatch::kMatchExact:
      return "matchExact";
    case IdentityMatch::kMatchRepository:
      return "matchRepository";
    case IdentityMatch::kExactReference:
      return "exactReference";
    case IdentityMatch::kExactRepository:
      return "exactRepository";
    case IdentityMatch::kRemapIdentity:
      return "remapIdentity";
  }
  return "matchRepoDigestOrExact";
}

}  // namespace moat::verify
