// verify/verdict/verdict_policy.h ParseVerdictConfig (moat.conf's `verdicts`
// object; moat_conf_fuzz reaches it only through a whole moat.conf): a
// config or an error naming the field. The store and every key path are
// absolute, every rule set has keys, limits are in range, an allowlist entry
// lasts through its day; every scope is one some reference is looked up
// under, and a reference in it gets that scope's rules or a more specific
// one's. A fixed verdict decided under each rule set stays within what an
// allowing decision's rules permit (verdict_checks.h).
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>

#include "base/json.h"
#include "base/time.h"
#include "tests/fuzz/fuzz.h"
#include "tests/fuzz/verdict_checks.h"
#include "verify/common/reference.h"
#include "verify/common/scope.h"
#include "verify/verdict/verdict_policy.h"

namespace {

using moat::verify::Finding;
using moat::verify::Severity;

// 2026-11-23T00:00:00Z, the allowlist entries' dates in the seeds are around it.
constexpr int64_t kNow = 1795392000;

// A verdict with a finding of each severity, some fixable, ids the seeds'
// allowlists name.
const moat::verify::VerifiedVerdict& Verdict() {
  static const moat::verify::VerifiedVerdict v = [] {
    moat::verify::VerifiedVerdict out;
    out.path = "/store/v.json";
    out.digest = moat::fuzz::VerdictDigest();
    out.key = "/etc/moat/scanner.pub";
    out.claims.statement_type = "https://in-toto.io/Statement/v1";
    out.claims.subjects = {out.digest};
    auto& p = out.claims.predicate;
    p.scan_finished = kNow - 30 * 3600;
    p.report.findings = {
        Finding{"CVE-2023-45853", "zlib1g", "1:1.2.13", "", Severity::kCritical},
        Finding{"CVE-2024-45491", "libexpat1", "2.5.0-1", "2.5.0-1+deb12u1", Severity::kCritical},
        Finding{"CVE-2023-4911", "libc6", "2.36-9", "2.36-9+deb12u3", Severity::kHigh},
        Finding{"CVE-2023-50495", "libncursesw6", "6.4-4", "", Severity::kMedium},
        Finding{"CVE-2011-3374", "apt", "2.6.1", "", Severity::kLow},
        Finding{"CVE-2024-56433", "login", "1:4.13", "", Severity::kUnknown},
    };
    return out;
  }();
  return v;
}

bool Absolute(const std::string& p) { return !p.empty() && p[0] == '/'; }

void CheckRules(const moat::verify::VerdictRules& r) {
  FUZZ_CHECK(!r.keys.empty());
  for (const auto& k : r.keys) FUZZ_CHECK(Absolute(k));
  for (const auto& m : r.max_counts) {
    if (m) FUZZ_CHECK(*m >= 0 && *m <= std::numeric_limits<int32_t>::max());
  }
  if (r.max_age_hours) FUZZ_CHECK(*r.max_age_hours >= 1 && *r.max_age_hours <= 10 * 366 * 24);
  if (r.max_severity) {
    const std::string name = moat::verify::SeverityCapName(*r.max_severity);
    FUZZ_CHECK(name == "NONE" || moat::verify::SeverityFromName(name).has_value());
  }
  for (const auto& e : r.allowlist) {
    FUZZ_CHECK(!e.id.empty() && !e.reason.empty());
    auto day = moat::ParseDate(e.expires);
    FUZZ_CHECK(day.ok() && e.expires_at == *day + 86400 && e.expires_at % 86400 == 0);
  }
  moat::fuzz::CheckDecision(r, Verdict(), kNow);
}

// A reference looked up under `scope`, when one can be written from it.
bool Probe(const std::string& scope, moat::verify::Reference* ref) {
  std::string name;
  if (scope.rfind("*.", 0) == 0) {
    name = "probe" + scope.substr(1) + "/probe";
  } else if (scope.find('/') == std::string::npos) {
    name = scope + "/probe";
  } else {
    name = scope;
  }
  auto r = moat::verify::ParseCanonicalNamed(name);
  if (!r.ok()) return false;
  *ref = std::move(r.value());
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto doc = moat::json::Parse(moat::fuzz::Text(data, size));
  if (!doc.ok()) return 0;
  auto c = moat::verify::ParseVerdictConfig(*doc, "verdicts");
  if (!c.ok()) {
    FUZZ_CHECK(c.error().message.rfind("verdicts", 0) == 0);
    return 0;
  }
  FUZZ_CHECK(Absolute(c->store));
  CheckRules(c->rules);
  std::string matched;
  FUZZ_CHECK(&c->For(nullptr, &matched) == &c->rules && matched == "verdicts");
  for (const auto& [scope, rules] : c->scopes) {
    FUZZ_CHECK(moat::verify::ValidateDockerScope(scope).ok());
    CheckRules(rules);
    moat::verify::Reference ref;
    if (!Probe(scope, &ref)) continue;
    const moat::verify::VerdictRules& got = c->For(&ref, &matched);
    FUZZ_CHECK(matched != "verdicts");
    bool found = false;
    for (const auto& [other, other_rules] : c->scopes) {
      if (&other_rules != &got) continue;
      found = matched == "verdicts.scopes[" + moat::json::Quote(other) + "]";
    }
    FUZZ_CHECK(found);
  }
  return 0;
}
