#include "verify/verdict/vuln_predicate.h"

#include "base/json_read.h"
#include "base/time.h"

namespace moat::verify {

namespace {

Result<std::string> StringIfPresent(const json::Value& obj, std::string_view key,
                                    const std::string& path) {
  const json::Value* v = obj.Find(key);
  if (v == nullptr || v->is_null()) return std::string();
  return json::ReadString(*v, json::Field(path, key));
}

}  // namespace

Result<VulnPredicate> ParseVulnPredicate(const json::Value& p) {
  MOAT_TRY(json::ExpectType(p, json::Type::kObject, "predicate"));
  const json::Value* scanner = p.Find("scanner");
  if (scanner == nullptr) return Error{"predicate.scanner: missing"};
  MOAT_TRY(json::ExpectType(*scanner, json::Type::kObject, "predicate.scanner"));
  VulnPredicate out;
  auto uri = StringIfPresent(*scanner, "uri", "predicate.scanner");
  if (!uri.ok()) return uri.error();
  out.scanner_uri = std::move(uri.value());
  auto version = StringIfPresent(*scanner, "version", "predicate.scanner");
  if (!version.ok()) return version.error();
  out.scanner_version = std::move(version.value());
  if (const json::Value* db = scanner->Find("db"); db != nullptr && !db->is_null()) {
    MOAT_TRY(json::ExpectType(*db, json::Type::kObject, "predicate.scanner.db"));
    auto v = StringIfPresent(*db, "version", "predicate.scanner.db");
    if (!v.ok()) return v.error();
    out.db_version = std::move(v.value());
  }

  const json::Value* meta = p.Find("metadata");
  if (meta == nullptr) return Error{"predicate.metadata: missing"};
  MOAT_TRY(json::ExpectType(*meta, json::Type::kObject, "predicate.metadata"));
  const json::Value* finished = meta->Find("scanFinishedOn");
  if (finished == nullptr) return Error{"predicate.metadata.scanFinishedOn: missing"};
  MOAT_ASSIGN_OR_RETURN(auto fin_text,
                        json::ReadString(*finished, "predicate.metadata.scanFinishedOn"));
  auto fin = ParseRfc3339(fin_text);
  if (!fin.ok()) return fin.error().Wrap("predicate.metadata.scanFinishedOn");
  out.scan_finished = *fin;
  MOAT_ASSIGN_OR_RETURN(auto started_text,
                        StringIfPresent(*meta, "scanStartedOn", "predicate.metadata"));
  if (!started_text.empty()) {
    auto started = ParseRfc3339(started_text);
    if (!started.ok()) return started.error().Wrap("predicate.metadata.scanStartedOn");
    out.scan_started = *started;
  }

  const json::Value* result = scanner->Find("result");
  if (result == nullptr) return Error{"predicate.scanner.result: missing"};
  MOAT_ASSIGN_OR_RETURN(auto format, DetectReportFormat(*result, "predicate.scanner.result"));
  auto report = ParseVulnReport(*result, format, "predicate.scanner.result");
  if (!report.ok()) return report.error();
  out.report = std::move(report.value());
  if (out.scanner_version.empty()) out.scanner_version = out.report.scanner_version;
  if (out.db_version.empty()) out.db_version = out.report.db_version;
  return out;
}

json::Value BuildVulnPredicate(const json::Value& result, const VulnReport& parsed,
                               int64_t scanned_at) {
  using json::Value;
  Value invocation = Value::Object();
  invocation.Set("parameters", Value::Null());
  invocation.Set("uri", Value::String(""));
  invocation.Set("event_id", Value::String(""));
  invocation.Set("builder.id", Value::String(""));
  const std::string project = parsed.format == ReportFormat::kTrivy
                                  ? "pkg:github/aquasecurity/trivy"
                                  : "pkg:github/anchore/grype";
  Value db = Value::Object();
  db.Set("uri", Value::String(""));
  db.Set("version", Value::String(parsed.db_version));
  Value scanner = Value::Object();
  scanner.Set("uri", Value::String(parsed.scanner_version.empty()
                                       ? project
                                       : project + "@" + parsed.scanner_version));
  scanner.Set("version", Value::String(parsed.scanner_version));
  scanner.Set("db", std::move(db));
  scanner.Set("result", result);
  Value metadata = Value::Object();
  metadata.Set("scanStartedOn", Value::String(FormatRfc3339(scanned_at)));
  metadata.Set("scanFinishedOn", Value::String(FormatRfc3339(scanned_at)));
  Value p = Value::Object();
  p.Set("invocation", std::move(invocation));
  p.Set("scanner", std::move(scanner));
  p.Set("metadata", std::move(metadata));
  return p;
}

}  // namespace moat::verify
