#include "verify/verdict/vuln_report.h"

#include <algorithm>
#include <map>
#include <utility>

#include "base/json_read.h"
#include "base/time.h"

namespace moat::verify {

namespace {

using json::Field;
using json::Index;
using json::Value;

constexpr std::array<const char*, kSeverityCount> kSeverityNames = {"UNKNOWN", "LOW", "MEDIUM",
                                                                    "HIGH", "CRITICAL"};

// A string member, "" when absent or null; an error for another type.
Result<std::string> OptionalString(const Value& obj, std::string_view key,
                                   const std::string& path) {
  const Value* v = obj.Find(key);
  if (v == nullptr || v->is_null()) return std::string();
  return json::ReadString(*v, Field(path, key));
}

// An array member; absent or null is an empty array.
Result<const std::vector<Value>*> OptionalArray(const Value& obj, std::string_view key,
                                                const std::string& path) {
  static const std::vector<Value> kEmpty;
  const Value* v = obj.Find(key);
  if (v == nullptr || v->is_null()) return &kEmpty;
  MOAT_TRY(json::ExpectType(*v, json::Type::kArray, Field(path, key)));
  return &v->items();
}

Result<std::optional<int64_t>> OptionalTime(const Value& obj, std::string_view key,
                                            const std::string& path) {
  MOAT_ASSIGN_OR_RETURN(auto text, OptionalString(obj, key, path));
  if (text.empty()) return std::optional<int64_t>();
  auto t = ParseRfc3339(text);
  if (!t.ok()) return t.error().Wrap(Field(path, key));
  return std::optional<int64_t>(*t);
}

// Trivy writes the upper-case names; Grype capitalises them and has
// "Negligible", counted as LOW.
Result<Severity> ReportSeverity(const std::string& text, const std::string& path) {
  std::string upper = text;
  for (char& c : upper) c = (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
  if (upper == "NEGLIGIBLE") return Severity::kLow;
  auto s = SeverityFromName(upper);
  if (!s) {
    return Error{path + ": " + json::Quote(text) +
                 " is not a severity (UNKNOWN, NEGLIGIBLE, LOW, MEDIUM, HIGH, CRITICAL)"};
  }
  return *s;
}

// Grype's fix: `fix {versions, state}` (v0.13 on) or `fixedInVersion`
// (v0.10-v0.12). Any other member naming a fix is a schema moat does not
// read, and refused: read as "no fix" it would let fixable_only pass.
Result<std::string> GrypeFix(const Value& vuln, const std::string& vpath) {
  for (const auto& [key, value] : vuln.members()) {
    std::string lower = key;
    for (char& c : lower) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    if (key != "fix" && key != "fixedInVersion" && lower.find("fix") != std::string::npos) {
      return Error{Field(vpath, key) +
                   ": not a field of the Grype JSON schemas moat reads (fix of Grype >= 0.13, "
                   "fixedInVersion of Grype 0.10-0.12)"};
    }
  }
  const Value* fix = vuln.Find("fix");
  const Value* old = vuln.Find("fixedInVersion");
  if (fix != nullptr && !fix->is_null() && old != nullptr && !old->is_null()) {
    return Error{vpath + ": both fix (Grype >= 0.13) and fixedInVersion (Grype 0.10-0.12)"};
  }
  if (old != nullptr && !old->is_null())
    return json::ReadString(*old, Field(vpath, "fixedInVersion"));
  if (fix == nullptr || fix->is_null()) return std::string();
  const std::string fpath = Field(vpath, "fix");
  MOAT_TRY(json::ExpectType(*fix, json::Type::kObject, fpath));
  MOAT_ASSIGN_OR_RETURN(const std::vector<Value>* versions, OptionalArray(*fix, "versions", fpath));
  std::string fixed;
  for (size_t k = 0; k < versions->size(); ++k) {
    MOAT_ASSIGN_OR_RETURN(std::string ver,
                          json::ReadString((*versions)[k], Index(Field(fpath, "versions"), k)));
    fixed += (fixed.empty() ? "" : ", ") + ver;
  }
  MOAT_ASSIGN_OR_RETURN(std::string state, OptionalString(*fix, "state", fpath));
  if (!state.empty() && state != "fixed" && state != "not-fixed" && state != "wont-fix" &&
      state != "unknown") {
    return Error{Field(fpath, "state") + ": " + json::Quote(state) +
                 " is not a Grype fix state (fixed, not-fixed, wont-fix, unknown)"};
  }
  // "fixed" without a version still says a fix exists.
  if (state == "fixed" && fixed.empty()) fixed = "(fixed, version not given)";
  return fixed;
}

// Grype's descriptor.version: releases before 0.10 wrote other schemas
// (a bare array of matches, "fixed-in-version"). Non-release strings
// ("[not provided]" of a development build) are judged by the fields alone.
Status CheckGrypeVersion(const std::string& version, const std::string& path) {
  std::string_view v = version;
  if (!v.empty() && v[0] == 'v') v.remove_prefix(1);
  size_t dot1 = v.find('.');
  if (dot1 == std::string_view::npos) return Status::Ok();
  size_t dot2 = v.find_first_not_of("0123456789", dot1 + 1);
  std::string_view major = v.substr(0, dot1);
  std::string_view minor =
      v.substr(dot1 + 1, dot2 == std::string_view::npos ? v.npos : dot2 - dot1 - 1);
  if (major.empty() || minor.empty() || major.size() > 6 || minor.size() > 6) return Status::Ok();
  if (major.find_first_not_of("0123456789") != std::string_view::npos) return Status::Ok();
  if (major == "0" && std::stoi(std::string(minor)) < 10) {
    return Error{path + ": Grype " + json::Quote(version) +
                 " JSON reports are not supported (Grype 0.10 and later)"};
  }
  return Status::Ok();
}

Status CountFindings(size_t* count, size_t more, const ReportLimits& limits,
                     const std::string& path) {
  *count += more;
  if (*count > limits.max_findings) {
    return Error{path + ": more than " + std::to_string(limits.max_findings) + " findings"};
  }
  return Status::Ok();
}

// Keeps one finding per (id, package): the highest severity, a fixed version
// if any has one.
class Dedup {
 public:
  void Add(Finding f) {
    auto [it, fresh] = index_.try_emplace({f.id, f.package}, findings_.size());
    if (fresh) {
      findings_.push_back(std::move(f));
      return;
    }
    Finding& have = findings_[it->second];
    if (f.severity > have.severity) have.severity = f.severity;
    if (have.fixed_version.empty()) have.fixed_version = f.fixed_version;
    if (have.installed.empty()) have.installed = f.installed;
  }
  std::vector<Finding> Take() {
    std::sort(findings_.begin(), findings_.end(), [](const Finding& a, const Finding& b) {
      if (a.severity != b.severity) return a.severity > b.severity;
      if (a.id != b.id) return a.id < b.id;
      return a.package < b.package;
    });
    return std::move(findings_);
  }

 private:
  std::map<std::pair<std::string, std::string>, size_t> index_;
  std::vector<Finding> findings_;
};

Status ParseTrivy(const Value& r, const std::string& path, const ReportLimits& limits,
                  VulnReport* out) {
  const Value* schema = r.Find("SchemaVersion");
  if (schema == nullptr) return Error{Field(path, "SchemaVersion") + ": missing"};
  MOAT_ASSIGN_OR_RETURN(auto version,
                        json::ReadInt(*schema, Field(path, "SchemaVersion"), 0, 1000));
  if (version != 2) {
    return Error{Field(path, "SchemaVersion") + ": Trivy JSON schema " + std::to_string(version) +
                 " is not supported (SchemaVersion 2, Trivy >= 0.20)"};
  }
  out->scanner_name = "trivy";
  if (const Value* t = r.Find("Trivy"); t != nullptr && t->is_object()) {
    auto v = OptionalString(*t, "Version", Field(path, "Trivy"));
    if (!v.ok()) return v.error();
    out->scanner_version = std::move(v.value());
  }
  MOAT_ASSIGN_OR_RETURN(out->created_at, OptionalTime(r, "CreatedAt", path));
  MOAT_ASSIGN_OR_RETURN(auto results, OptionalArray(r, "Results", path));
  Dedup dedup;
  size_t count = 0;
  for (size_t i = 0; i < results->size(); ++i) {
    const Value& res = (*results)[i];
    const std::string rpath = Index(Field(path, "Results"), i);
    MOAT_TRY(json::ExpectType(res, json::Type::kObject, rpath));
    MOAT_ASSIGN_OR_RETURN(auto vulns, OptionalArray(res, "Vulnerabilities", rpath));
    MOAT_TRY(CountFindings(&count, vulns->size(), limits, path));
    for (size_t j = 0; j < vulns->size(); ++j) {
      const Value& v = (*vulns)[j];
      const std::string vpath = Index(Field(rpath, "Vulnerabilities"), j);
      MOAT_TRY(json::ExpectType(v, json::Type::kObject, vpath));
      Finding f;
      auto id = json::ReadNonEmptyMember(v, "VulnerabilityID", vpath);
      auto pkg = json::ReadNonEmptyMember(v, "PkgName", vpath);
      auto installed = OptionalString(v, "InstalledVersion", vpath);
      auto fixed = OptionalString(v, "FixedVersion", vpath);
      auto sev = json::ReadNonEmptyMember(v, "Severity", vpath);
      for (const auto* s : {&id, &pkg, &installed, &fixed, &sev}) {
        if (!s->ok()) return s->error();
      }
      MOAT_ASSIGN_OR_RETURN(auto severity, ReportSeverity(*sev, Field(vpath, "Severity")));
      // Status (Trivy >= 0.46) "fixed" says a fix exists even where
      // FixedVersion is empty; the other statuses add nothing moat uses.
      MOAT_ASSIGN_OR_RETURN(std::string status, OptionalString(v, "Status", vpath));
      std::string fixed_version = *fixed;
      if (status == "fixed" && fixed_version.empty()) fixed_version = "(fixed, version not given)";
      dedup.Add(Finding{*id, *pkg, *installed, fixed_version, severity});
    }
  }
  out->findings = dedup.Take();
  return Status::Ok();
}

Status ParseGrype(const Value& r, const std::string& path, const ReportLimits& limits,
                  VulnReport* out) {
  const Value* matches = r.Find("matches");
  if (matches == nullptr) return Error{Field(path, "matches") + ": missing"};
  MOAT_TRY(json::ExpectType(*matches, json::Type::kArray, Field(path, "matches")));
  size_t count = 0;
  MOAT_TRY(CountFindings(&count, matches->items().size(), limits, path));
  out->scanner_name = "grype";
  if (const Value* d = r.Find("descriptor"); d != nullptr && !d->is_null()) {
    const std::string dpath = Field(path, "descriptor");
    MOAT_TRY(json::ExpectType(*d, json::Type::kObject, dpath));
    auto name = OptionalString(*d, "name", dpath);
    auto version = OptionalString(*d, "version", dpath);
    if (!name.ok()) return name.error();
    if (!version.ok()) return version.error();
    if (!name->empty()) out->scanner_name = *name;
    out->scanner_version = *version;
    MOAT_TRY(CheckGrypeVersion(*version, Field(dpath, "version")));
    MOAT_ASSIGN_OR_RETURN(out->created_at, OptionalTime(*d, "timestamp", dpath));
    if (const Value* db = d->Find("db"); db != nullptr && db->is_object()) {
      if (const Value* built = db->Find("built"); built != nullptr && built->is_string()) {
        out->db_version = built->text();
      }
    }
  }
  Dedup dedup;
  for (size_t i = 0; i < matches->items().size(); ++i) {
    const Value& m = matches->items()[i];
    const std::string mpath = Index(Field(path, "matches"), i);
    MOAT_TRY(json::ExpectType(m, json::Type::kObject, mpath));
    const Value* vuln = m.Find("vulnerability");
    const Value* art = m.Find("artifact");
    if (vuln == nullptr) return Error{Field(mpath, "vulnerability") + ": missing"};
    if (art == nullptr) return Error{Field(mpath, "artifact") + ": missing"};
    const std::string vpath = Field(mpath, "vulnerability");
    const std::string apath = Field(mpath, "artifact");
    MOAT_TRY(json::ExpectType(*vuln, json::Type::kObject, vpath));
    MOAT_TRY(json::ExpectType(*art, json::Type::kObject, apath));
    auto id = json::ReadNonEmptyMember(*vuln, "id", vpath);
    auto sev = json::ReadNonEmptyMember(*vuln, "severity", vpath);
    auto pkg = json::ReadNonEmptyMember(*art, "name", apath);
    auto installed = OptionalString(*art, "version", apath);
    for (const auto* s : {&id, &sev, &pkg, &installed}) {
      if (!s->ok()) return s->error();
    }
    MOAT_ASSIGN_OR_RETURN(auto severity, ReportSeverity(*sev, Field(vpath, "severity")));
    MOAT_ASSIGN_OR_RETURN(std::string fixed, GrypeFix(*vuln, vpath));
    dedup.Add(Finding{*id, *pkg, *installed, fixed, severity});
  }
  out->findings = dedup.Take();
  return Status::Ok();
}

}  // namespace

const char* SeverityName(Severity s) { return kSeverityNames[static_cast<size_t>(s)]; }

std::optional<Severity> SeverityFromName(std::string_view name) {
  for (size_t i = 0; i < kSeverityCount; ++i) {
    if (name == kSeverityNames[i]) return static_cast<Severity>(i);
  }
  return std::nullopt;
}

const char* ReportFormatName(ReportFormat f) {
  return f == ReportFormat::kTrivy ? "trivy" : "grype";
}

Result<ReportFormat> DetectReportFormat(const json::Value& report, const std::string& path) {
  MOAT_TRY(json::ExpectType(report, json::Type::kObject, path));
  if (report.Find("SchemaVersion") != nullptr) return ReportFormat::kTrivy;
  if (report.Find("matches") != nullptr) return ReportFormat::kGrype;
  return Error{path +
               ": neither a Trivy JSON report (SchemaVersion) nor a Grype JSON report (matches)"};
}

json::Limits ReportJsonLimits(const ReportLimits& report, size_t extra_bytes) {
  json::Limits limits;
  limits.max_bytes = report.max_bytes + extra_bytes;
  limits.max_values = report.max_values;
  return limits;
}

Result<VulnReport> ParseVulnReport(const json::Value& report, ReportFormat format,
                                   const std::string& path, const ReportLimits& limits) {
  MOAT_TRY(json::ExpectType(report, json::Type::kObject, path));
  VulnReport out;
  out.format = format;
  if (format == ReportFormat::kTrivy) {
    MOAT_TRY(ParseTrivy(report, path, limits, &out));
  } else {
    MOAT_TRY(ParseGrype(report, path, limits, &out));
  }
  return out;
}

}  // namespace moat::verify
