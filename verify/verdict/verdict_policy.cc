#include "verify/verdict/verdict_policy.h"

#include <limits>

#include "base/json_read.h"
#include "base/time.h"
#include "verify/common/scope.h"

namespace moat::verify {

namespace {

using json::Field;
using json::Index;
using json::Quote;
using json::Value;

constexpr std::array<const char*, 5> kCapNames = {"NONE", "LOW", "MEDIUM", "HIGH", "CRITICAL"};
// Ten years: anything longer is a typo, not a policy.
constexpr int64_t kMaxAgeHours = int64_t{10} * 366 * 24;

Status ReadKeys(const Value& v, const std::string& path, VerdictRules* r) {
  MOAT_TRY(json::ExpectType(v, json::Type::kArray, path));
  if (v.items().empty()) return Error{path + ": empty (name at least one scanner public key)"};
  r->keys.clear();
  for (size_t i = 0; i < v.items().size(); ++i) {
    auto p = json::ReadAbsolutePath(v.items()[i], Index(path, i));
    if (!p.ok()) return p.error();
    r->keys.push_back(std::move(p.value()));
  }
  return Status::Ok();
}

Status ReadMaxCounts(const Value& v, const std::string& path, VerdictRules* r) {
  MOAT_TRY(json::CheckObject(v, path, {"CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN"}));
  r->max_counts = {};
  for (const auto& [name, count] : v.members()) {
    MOAT_ASSIGN_OR_RETURN(
        auto n, json::ReadInt(count, Field(path, name), 0, std::numeric_limits<int32_t>::max()));
    r->max_counts[static_cast<size_t>(*SeverityFromName(name))] = n;
  }
  return Status::Ok();
}

Status ReadAllowlist(const Value& v, const std::string& path, VerdictRules* r) {
  MOAT_TRY(json::ExpectType(v, json::Type::kArray, path));
  r->allowlist.clear();
  for (size_t i = 0; i < v.items().size(); ++i) {
    const Value& e = v.items()[i];
    const std::string epath = Index(path, i);
    MOAT_TRY(json::CheckObject(e, epath, {"id", "expires", "reason"}));
    AllowlistEntry entry;
    auto id = json::ReadNonEmptyMember(e, "id", epath);
    if (!id.ok()) return id.error();
    auto expires = json::ReadNonEmptyMember(e, "expires", epath);
    if (!expires.ok()) return expires.error();
    auto reason = json::ReadNonEmptyMember(e, "reason", epath);
    if (!reason.ok()) return reason.error();
    auto day = ParseDate(*expires);
    if (!day.ok()) return day.error().Wrap(Field(epath, "expires"));
    entry.id = std::move(id.value());
    entry.expires = std::move(expires.value());
    entry.expires_at = *day + 86400;
    entry.reason = std::move(reason.value());
    r->allowlist.push_back(std::move(entry));
  }
  return Status::Ok();
}

// Applies the keys present in `v` to `r`; the top level and scopes share it.
Status ReadRules(const Value& v, const std::string& path, VerdictRules* r) {
  for (const auto& [key, value] : v.members()) {
    const std::string kpath = Field(path, key);
    if (key == "keys") {
      MOAT_TRY(ReadKeys(value, kpath, r));
    } else if (key == "require") {
      MOAT_ASSIGN_OR_RETURN(r->require, json::ReadBool(value, kpath));
    } else if (key == "fixable_only") {
      MOAT_ASSIGN_OR_RETURN(r->fixable_only, json::ReadBool(value, kpath));
    } else if (key == "max_severity") {
      MOAT_ASSIGN_OR_RETURN(auto s, json::ReadString(value, kpath));
      std::optional<SeverityCap> cap;
      for (size_t i = 0; i < kCapNames.size(); ++i) {
        if (s == kCapNames[i]) cap = static_cast<SeverityCap>(i);
      }
      if (!cap) {
        return Error{kpath + ": " + Quote(s) + " is not one of NONE, LOW, MEDIUM, HIGH, CRITICAL"};
      }
      r->max_severity = cap;
    } else if (key == "max_counts") {
      MOAT_TRY(ReadMaxCounts(value, kpath, r));
    } else if (key == "max_age_hours") {
      MOAT_ASSIGN_OR_RETURN(r->max_age_hours, json::ReadInt(value, kpath, 1, kMaxAgeHours));
    } else if (key == "allowlist") {
      MOAT_TRY(ReadAllowlist(value, kpath, r));
    }
  }
  return Status::Ok();
}

}  // namespace

const char* SeverityCapName(SeverityCap c) { return kCapNames[static_cast<size_t>(c)]; }

const VerdictRules& VerdictConfig::For(const Reference* ref, std::string* matched) const {
  if (ref != nullptr && !scopes.empty()) {
    for (const std::string& scope : DockerScopes(*ref)) {
      auto it = scopes.find(scope);
      if (it != scopes.end()) {
        if (matched != nullptr) *matched = "verdicts.scopes[" + Quote(scope) + "]";
        return it->second;
      }
    }
  }
  if (matched != nullptr) *matched = "verdicts";
  return rules;
}

Result<VerdictConfig> ParseVerdictConfig(const json::Value& v, const std::string& path) {
  MOAT_TRY(json::CheckObject(v, path,
                             {"store", "keys", "require", "max_severity", "max_counts",
                              "max_age_hours", "fixable_only", "allowlist", "scopes"}));
  VerdictConfig c;
  const Value* store = v.Find("store");
  if (store == nullptr)
    return Error{Field(path, "store") + ": missing (the verdict store directory)"};
  auto s = json::ReadAbsolutePath(*store, Field(path, "store"));
  if (!s.ok()) return s.error();
  c.store = std::move(s.value());
  if (v.Find("keys") == nullptr) {
    return Error{Field(path, "keys") + ": missing (the scanner public keys to trust)"};
  }
  MOAT_TRY(ReadRules(v, path, &c.rules));

  const Value* scopes = v.Find("scopes");
  if (scopes == nullptr) return c;
  const std::string spath = Field(path, "scopes");
  MOAT_TRY(json::ExpectType(*scopes, json::Type::kObject, spath));
  for (const auto& [scope, value] : scopes->members()) {
    const std::string one = spath + "[" + Quote(scope) + "]";
    Status valid = ValidateDockerScope(scope);
    if (!valid.ok()) return valid.error().Wrap(one);
    MOAT_TRY(json::CheckObject(value, one,
                               {"keys", "require", "max_severity", "max_counts", "max_age_hours",
                                "fixable_only", "allowlist"}));
    VerdictRules rules = c.rules;
    MOAT_TRY(ReadRules(value, one, &rules));
    c.scopes.emplace(scope, std::move(rules));
  }
  return c;
}

}  // namespace moat::verify
