#include "verify/verdict/verdict_decision.h"

#include <algorithm>
#include <set>

#include "base/time.h"

namespace moat::verify {

namespace {

constexpr size_t kMaxIdsInMessage = 8;

std::string Join(const std::vector<std::string>& v, const char* sep = ", ") {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

// "CVE-1, CVE-2" (distinct ids, in report order), shortened past a few.
std::string IdList(const std::vector<std::string>& ids) {
  std::vector<std::string> shown;
  std::set<std::string> seen;
  size_t more = 0;
  for (const auto& id : ids) {
    if (!seen.insert(id).second) continue;
    if (shown.size() < kMaxIdsInMessage) {
      shown.push_back(id);
    } else {
      ++more;
    }
  }
  std::string out = Join(shown);
  if (more > 0) out += ", and " + std::to_string(more) + " more";
  return out;
}

std::string DigestList(const std::vector<std::string>& digests) {
  return digests.empty() ? "none" : Join(digests);
}

// Picks the newest valid verdict; ties go to the first stored.
const VerifiedVerdict* Newest(const VerdictCandidates& c) {
  const VerifiedVerdict* best = nullptr;
  for (const auto& v : c.valid) {
    if (best == nullptr ||
        v.claims.predicate.scan_finished > best->claims.predicate.scan_finished) {
      best = &v;
    }
  }
  return best;
}

// Counts what remains after fixable_only and the allowlist, noting which
// allowlist entries applied or had expired; `ids` gets each counted
// finding's id per severity.
void Count(const VerdictRules& rules, const VulnReport& report, int64_t now, VerdictDecision* d,
           std::array<std::vector<std::string>, kSeverityCount>* ids) {
  std::set<size_t> applied, expired;
  for (const Finding& f : report.findings) {
    const auto sev = static_cast<size_t>(f.severity);
    ++d->reported[sev];
    if (rules.fixable_only && !f.fixable()) {
      ++d->unfixable;
      continue;
    }
    bool allowed = false;
    for (size_t i = 0; i < rules.allowlist.size(); ++i) {
      const AllowlistEntry& e = rules.allowlist[i];
      if (e.id != f.id) continue;
      if (now < e.expires_at) {
        allowed = true;
        applied.insert(i);
      } else {
        expired.insert(i);
      }
    }
    if (allowed) continue;
    ++d->counted[sev];
    (*ids)[sev].push_back(f.id);
  }
  for (size_t i : applied) {
    const AllowlistEntry& e = rules.allowlist[i];
    d->allowlisted.push_back(e.id + " until " + e.expires + ": " + e.reason);
  }
  for (size_t i : expired) {
    if (applied.count(i) != 0) continue;
    const AllowlistEntry& e = rules.allowlist[i];
    d->expired.push_back(e.id + " expired " + e.expires);
  }
}

// The severity limits: max_counts, and max_severity as a limit of 0 above it.
void CheckThresholds(const VerdictRules& rules, const std::string& image,
                     const std::array<std::vector<std::string>, kSeverityCount>& ids,
                     VerdictDecision* d) {
  for (size_t s = kSeverityCount; s-- > 0;) {
    int64_t limit = -1;
    std::string source;
    if (rules.max_counts[s]) {
      limit = *rules.max_counts[s];
      source = std::string("max_counts.") + SeverityName(static_cast<Severity>(s));
    }
    const bool ranked = static_cast<Severity>(s) != Severity::kUnknown;
    if (ranked && rules.max_severity && s > static_cast<size_t>(*rules.max_severity)) {
      limit = 0;
      source = std::string("max_severity ") + SeverityCapName(*rules.max_severity);
    }
    if (limit < 0 || d->counted[s] <= limit) continue;
    d->reasons.push_back(image + " has " + std::to_string(d->counted[s]) + " " +
                         SeverityName(static_cast<Severity>(s)) + " (" + IdList(ids[s]) +
                         ") above policy max " + std::to_string(limit) + " (" + source + ")");
  }
}

}  // namespace

const char* VerdictOutcomeName(VerdictOutcome o) {
  switch (o) {
    case VerdictOutcome::kFail:
      return "fail";
    case VerdictOutcome::kMissing:
      return "missing";
    case VerdictOutcome::kPass:
      return "pass";
    case VerdictOutcome::kNotRequired:
      return "not required";
  }
  return "fail";
}

VerdictDecision DecideVerdict(const VerdictRules& rules, const std::string& store,
                              const std::vector<std::string>& digests,
                              const VerdictCandidates& candidates, int64_t now) {
  VerdictDecision d;
  for (const auto& r : candidates.rejected) d.rejected.push_back(r.reason);
  const VerifiedVerdict* newest = Newest(candidates);
  if (newest == nullptr) {
    d.outcome = rules.require ? VerdictOutcome::kMissing : VerdictOutcome::kNotRequired;
    d.allow = !rules.require;
    if (!rules.require) return d;
    if (digests.empty()) {
      d.reasons.push_back(
          "a scan verdict is required, and no registry manifest of this image is on the host "
          "(loaded, imported or built locally): no verdict can name it");
    } else if (candidates.rejected.empty()) {
      d.reasons.push_back("a scan verdict is required, and none is stored for image " +
                          DigestList(digests) + " in " + store);
    } else {
      d.reasons.push_back("a scan verdict is required, and none of the " +
                          std::to_string(candidates.rejected.size()) + " stored for image " +
                          DigestList(digests) + " is valid: " + Join(d.rejected, "; "));
    }
    return d;
  }
  d.has_verdict = true;
  d.verdict = *newest;
  const VulnPredicate& p = newest->claims.predicate;
  const std::string image = "image " + newest->digest;
  d.age_seconds = now - p.scan_finished;
  if (p.scan_finished > now + kVerdictClockSkewSeconds) {
    d.reasons.push_back("the verdict for " + image + " (" + newest->path +
                        ") says the scan finished at " + FormatRfc3339(p.scan_finished) +
                        ", in the future: refused");
  } else if (rules.max_age_hours && d.age_seconds > *rules.max_age_hours * 3600) {
    d.reasons.push_back("the newest verdict for " + image + " is " +
                        std::to_string(d.age_seconds / 3600) + " hours old (scan finished " +
                        FormatRfc3339(p.scan_finished) + "), above policy max_age_hours " +
                        std::to_string(*rules.max_age_hours));
  }
  std::array<std::vector<std::string>, kSeverityCount> ids;
  Count(rules, p.report, now, &d, &ids);
  CheckThresholds(rules, image, ids, &d);
  d.allow = d.reasons.empty();
  d.outcome = d.allow ? VerdictOutcome::kPass : VerdictOutcome::kFail;
  return d;
}

Result<VerdictDecision> CheckVerdict(const VerdictConfig& config,
                                     const std::vector<std::string>& digests, const Reference* ref,
                                     int64_t now, const VerdictStoreOptions& options,
                                     const std::string& cache_dir) {
  std::string scope;
  const VerdictRules& rules = config.For(ref, &scope);
  auto keys = ReadVerdictKeyFiles(rules.keys, options.require_root_owned);
  if (!keys.ok()) return keys.error().Wrap(scope + ".keys");
  auto candidates = CollectVerdicts(config.store, digests, *keys, options, cache_dir);
  if (!candidates.ok()) return candidates.error().Wrap(scope);
  VerdictDecision d = DecideVerdict(rules, config.store, digests, *candidates, now);
  d.scope = scope;
  return d;
}

std::string FormatSeverityCounts(const SeverityCounts& counts) {
  std::string out;
  for (size_t s = kSeverityCount; s-- > 0;) {
    out += (out.empty() ? "" : " ") + std::string(SeverityName(static_cast<Severity>(s))) + "=" +
           std::to_string(counts[s]);
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> VerdictAudit(const VerdictDecision& d) {
  std::vector<std::pair<std::string, std::string>> out;
  out.emplace_back("verdict", VerdictOutcomeName(d.outcome));
  out.emplace_back("verdict_scope", d.scope);
  if (d.has_verdict) {
    const VulnPredicate& p = d.verdict.claims.predicate;
    out.emplace_back("verdict_file", d.verdict.path);
    out.emplace_back("verdict_digest", d.verdict.digest);
    out.emplace_back("verdict_key", d.verdict.key);
    std::string scanner = ReportFormatName(p.report.format);
    if (!p.scanner_version.empty()) scanner += " " + p.scanner_version;
    out.emplace_back("verdict_scanner", scanner);
    out.emplace_back("verdict_scanned", FormatRfc3339(p.scan_finished));
    out.emplace_back("verdict_age_hours", std::to_string(d.age_seconds / 3600));
    out.emplace_back("verdict_counts", FormatSeverityCounts(d.counted));
    out.emplace_back("verdict_reported", FormatSeverityCounts(d.reported));
    if (d.unfixable > 0) out.emplace_back("verdict_unfixable", std::to_string(d.unfixable));
  }
  if (!d.allowlisted.empty()) out.emplace_back("verdict_allowlisted", Join(d.allowlisted, "; "));
  if (!d.expired.empty()) out.emplace_back("verdict_expired", Join(d.expired, "; "));
  if (!d.rejected.empty()) out.emplace_back("verdict_rejected", Join(d.rejected, "; "));
  return out;
}

}  // namespace moat::verify
