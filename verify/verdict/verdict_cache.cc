#include "verify/verdict/verdict_cache.h"

#include "base/json.h"
#include "base/time.h"
#include "verify/common/digest.h"

namespace moat::verify {

namespace {

using json::Value;

constexpr std::string_view kVersion = "moat-verdict-v1";

const Value* Member(const Value& obj, std::string_view key, json::Type type) {
  const Value* v = obj.Find(key);
  return v != nullptr && v->type() == type ? v : nullptr;
}

// A time a verified predicate can hold (ParseRfc3339's range): the
// decision subtracts it from now.
bool ReadTime(const Value& obj, std::string_view key, int64_t* out) {
  const Value* v = Member(obj, key, json::Type::kNumber);
  return v != nullptr && v->AsInt64(out) && *out >= kMinRfc3339Time && *out <= kMaxRfc3339Time;
}

bool ReadText(const Value& obj, std::string_view key, std::string* out) {
  const Value* v = Member(obj, key, json::Type::kString);
  if (v == nullptr) return false;
  *out = v->text();
  return true;
}

}  // namespace

std::string VerdictCacheKey(const std::vector<VerdictKeyFile>& keys,
                            std::string_view envelope_sha256, std::string_view digest) {
  std::string material = std::string(kVersion) + "\n";
  for (const auto& k : keys) material += DigestOf(k.path) + " " + DigestOf(k.pem) + "\n";
  material += std::string(envelope_sha256) + "\n" + std::string(digest);
  const std::string d = DigestOf(material);
  return d.substr(d.find(':') + 1);
}

std::string SerializeVerifiedVerdict(const VerifiedVerdict& v) {
  const VulnPredicate& p = v.claims.predicate;
  Value doc = Value::Object();
  doc.Set("version", Value::String(std::string(kVersion)));
  doc.Set("digest", Value::String(v.digest));
  doc.Set("key", Value::String(v.key));
  doc.Set("statement", Value::String(v.claims.statement_type));
  Value subjects = Value::Array();
  for (const auto& s : v.claims.subjects) subjects.Append(Value::String(s));
  doc.Set("subjects", std::move(subjects));
  doc.Set("scanner_uri", Value::String(p.scanner_uri));
  doc.Set("scanner_version", Value::String(p.scanner_version));
  doc.Set("db_version", Value::String(p.db_version));
  doc.Set("scan_started", Value::Number(p.scan_started));
  doc.Set("scan_finished", Value::Number(p.scan_finished));
  doc.Set("format", Value::String(ReportFormatName(p.report.format)));
  Value findings = Value::Array();
  for (const Finding& f : p.report.findings) {
    Value row = Value::Array();
    for (const std::string* s : {&f.id, &f.package, &f.installed, &f.fixed_version}) {
      row.Append(Value::String(*s));
    }
    row.Append(Value::String(SeverityName(f.severity)));
    findings.Append(std::move(row));
  }
  doc.Set("findings", std::move(findings));
  return json::Serialize(doc);
}

std::optional<VerifiedVerdict> ParseCachedVerdict(std::string_view text) {
  json::Limits limits;
  limits.max_depth = 4;
  auto doc = json::Parse(text, limits);
  if (!doc.ok() || !doc->is_object()) return std::nullopt;
  VerifiedVerdict v;
  VulnPredicate& p = v.claims.predicate;
  std::string version, format;
  const Value* subjects = Member(*doc, "subjects", json::Type::kArray);
  const Value* findings = Member(*doc, "findings", json::Type::kArray);
  if (!ReadText(*doc, "version", &version) || version != kVersion ||
      !ReadText(*doc, "digest", &v.digest) || !ReadText(*doc, "key", &v.key) ||
      !ReadText(*doc, "statement", &v.claims.statement_type) ||
      !ReadText(*doc, "scanner_uri", &p.scanner_uri) ||
      !ReadText(*doc, "scanner_version", &p.scanner_version) ||
      !ReadText(*doc, "db_version", &p.db_version) ||
      !ReadTime(*doc, "scan_started", &p.scan_started) ||
      !ReadTime(*doc, "scan_finished", &p.scan_finished) || !ReadText(*doc, "format", &format) ||
      subjects == nullptr || findings == nullptr) {
    return std::nullopt;
  }
  if (format != "trivy" && format != "grype") return std::nullopt;
  p.report.format = format == "trivy" ? ReportFormat::kTrivy : ReportFormat::kGrype;
  for (const Value& s : subjects->items()) {
    if (!s.is_string()) return std::nullopt;
    v.claims.subjects.push_back(s.text());
  }
  for (const Value& row : findings->items()) {
    if (!row.is_array() || row.items().size() != 5) return std::nullopt;
    for (const Value& cell : row.items()) {
      if (!cell.is_string()) return std::nullopt;
    }
    auto severity = SeverityFromName(row.items()[4].text());
    if (!severity) return std::nullopt;
    p.report.findings.push_back(Finding{row.items()[0].text(), row.items()[1].text(),
                                        row.items()[2].text(), row.items()[3].text(), *severity});
  }
  return v;
}

}  // namespace moat::verify
