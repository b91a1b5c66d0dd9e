#include "verify/verdict/verdict_json.h"

#include "base/time.h"

namespace moat::verify {

namespace {

json::Value Strings(const std::vector<std::string>& v) {
  json::Value arr = json::Value::Array();
  for (const auto& s : v) arr.Append(json::Value::String(s));
  return arr;
}

std::string Scanner(const VulnPredicate& p) {
  std::string s = ReportFormatName(p.report.format);
  if (!p.scanner_version.empty()) s += " " + p.scanner_version;
  return s;
}

}  // namespace

std::vector<std::string> VerdictDecisionLines(const VerdictDecision& d, size_t width) {
  std::vector<std::string> out;
  auto line = [&](const std::string& label, const std::string& value) {
    std::string l = label + ": ";
    if (l.size() < width) l.resize(width, ' ');
    out.push_back(l + value);
  };
  line("verdict", std::string(VerdictOutcomeName(d.outcome)) + " (" + d.scope + ")");
  if (d.has_verdict) {
    const VulnPredicate& p = d.verdict.claims.predicate;
    line("file", d.verdict.path);
    line("subject", d.verdict.digest);
    line("signed by", d.verdict.key);
    line("scanner", Scanner(p) + (p.db_version.empty() ? "" : ", db " + p.db_version));
    line("scanned", FormatRfc3339(p.scan_finished) + " (" + std::to_string(d.age_seconds / 3600) +
                        " hours ago)");
    line("reported", FormatSeverityCounts(d.reported));
    line("counted",
         FormatSeverityCounts(d.counted) +
             (d.unfixable > 0 ? " (" + std::to_string(d.unfixable) + " without a fix left out)"
                              : ""));
  }
  for (const auto& a : d.allowlisted) line("allowlisted", a);
  for (const auto& e : d.expired) line("expired", e);
  for (const auto& r : d.rejected) line("not used", r);
  for (const auto& r : d.reasons) line("refused", r);
  return out;
}

json::Value SeverityCountsJson(const SeverityCounts& counts) {
  json::Value v = json::Value::Object();
  for (size_t s = kSeverityCount; s-- > 0;) {
    v.Set(SeverityName(static_cast<Severity>(s)), json::Value::Number(counts[s]));
  }
  return v;
}

json::Value VerdictDecisionJson(const VerdictDecision& d) {
  using json::Value;
  Value out = Value::Object();
  out.Set("allow", Value::Bool(d.allow));
  out.Set("outcome", Value::String(VerdictOutcomeName(d.outcome)));
  out.Set("scope", Value::String(d.scope));
  out.Set("reasons", Strings(d.reasons));
  out.Set("rejected", Strings(d.rejected));
  if (d.has_verdict) {
    const VulnPredicate& p = d.verdict.claims.predicate;
    Value v = Value::Object();
    v.Set("file", Value::String(d.verdict.path));
    v.Set("digest", Value::String(d.verdict.digest));
    v.Set("key", Value::String(d.verdict.key));
    v.Set("statement", Value::String(d.verdict.claims.statement_type));
    v.Set("scanner", Value::String(Scanner(p)));
    v.Set("scanner_uri", Value::String(p.scanner_uri));
    v.Set("db", Value::String(p.db_version));
    v.Set("scanned", Value::String(FormatRfc3339(p.scan_finished)));
    v.Set("age_hours", Value::Number(d.age_seconds / 3600));
    out.Set("verdict", std::move(v));
    out.Set("reported", SeverityCountsJson(d.reported));
    out.Set("counted", SeverityCountsJson(d.counted));
    out.Set("unfixable", Value::Number(d.unfixable));
  } else {
    out.Set("verdict", Value::Null());
  }
  out.Set("allowlisted", Strings(d.allowlisted));
  out.Set("expired", Strings(d.expired));
  return out;
}

}  // namespace moat::verify
