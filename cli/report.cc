#include "cli/report.h"

#include "verify/identity/identity_json.h"
#include "verify/verdict/verdict_json.h"

namespace moat::cli {

std::string ImageText(const shim::ImageVerdict& v, const Style& st) {
  const verify::ImageIdentity& id = v.identity;
  std::string out = "engine:     " + std::string(verify::EngineName(id.engine)) + "\n";
  if (!id.config_digest.empty()) out += "image id:   " + id.config_digest + "\n";
  if (!id.used_reference.empty()) out += "used as:    " + id.used_reference + "\n";
  for (const auto& t : id.tags) out += "tag:        " + t + "\n";
  for (const auto& m : id.manifests) out += "manifest:   " + m.digest + " (" + m.media_type + ")\n";
  if (!v.identity_error.empty())
    out += "identity error: " + st.Paint(v.identity_error, "31") + "\n";
  out += "evidence:\n";
  for (const auto& e : id.evidence) out += "  - " + e + "\n";
  out += "trust:      " + (v.trust.allow ? st.Paint("allowed", "32") : st.Paint("refused", "31")) +
         "\n";
  if (!v.trust.scope.empty()) out += "scope:      " + v.trust.scope + "\n";
  if (!v.trust.reference.empty()) out += "reference:  " + v.trust.reference + "\n";
  if (!v.trust.how.empty()) out += "how:        " + v.trust.how + "\n";
  for (const auto& r : v.trust.reasons) out += "  reason: " + r + "\n";
  if (v.verdict_checked) {
    for (const auto& line : verify::VerdictDecisionLines(v.verdict)) out += line + "\n";
  }
  return out;
}

json::Value ImageJson(const shim::ImageVerdict& v) {
  using json::Value;
  Value out = Value::Object();
  out.Set("identity", verify::IdentityJson(v.identity, false));
  out.Set("identity_error", Value::String(v.identity_error));
  Value trust = Value::Object();
  trust.Set("allow", Value::Bool(v.trust.allow));
  trust.Set("scope", Value::String(v.trust.scope));
  trust.Set("reference", Value::String(v.trust.reference));
  trust.Set("how", Value::String(v.trust.how));
  trust.Set("reasons", verify::StringArray(v.trust.reasons));
  out.Set("trust", std::move(trust));
  out.Set("verdict", v.verdict_checked ? verify::VerdictDecisionJson(v.verdict) : Value::Null());
  return out;
}

}  // namespace moat::cli
