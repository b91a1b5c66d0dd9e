#include "verify/verdict/intoto.h"

#include "base/json_read.h"
#include "verify/common/reference.h"
#include "verify/verdict/vuln_report.h"

namespace moat::verify {

namespace {

constexpr std::string_view kStatementV10Draft = "https://in-toto.io/Statement/v1.0";
// A Statement carries a whole scanner report.
constexpr size_t kMaxStatementBytes = 48u << 20;

Result<std::string> Sha256Value(const json::Value& v, const std::string& path) {
  MOAT_ASSIGN_OR_RETURN(auto hex, json::ReadString(v, path));
  std::string digest = "sha256:";
  for (char c : hex) digest += (c >= 'A' && c <= 'F') ? static_cast<char>(c - 'A' + 'a') : c;
  if (!IsSha256Digest(digest))
    return Error{path + ": " + json::Quote(hex) + " is not 64 hex digits"};
  return digest;
}

Result<StatementSubject> ParseSubject(const json::Value& v, const std::string& path) {
  MOAT_TRY(json::ExpectType(v, json::Type::kObject, path));
  StatementSubject s;
  if (const json::Value* name = v.Find("name")) {
    auto n = json::ReadString(*name, json::Field(path, "name"));
    if (!n.ok()) return n.error();
    s.name = std::move(n.value());
  }
  const json::Value* digest = v.Find("digest");
  if (digest == nullptr) return Error{json::Field(path, "digest") + ": missing"};
  const std::string dpath = json::Field(path, "digest");
  MOAT_TRY(json::ExpectType(*digest, json::Type::kObject, dpath));
  for (const auto& [alg, value] : digest->members()) {
    const std::string vpath = json::Field(dpath, alg);
    if (alg == "sha256") {
      auto d = Sha256Value(value, vpath);
      if (!d.ok()) return d.error();
      s.sha256 = std::move(d.value());
    } else {
      MOAT_TRY(json::ExpectType(value, json::Type::kString, vpath));
    }
  }
  return s;
}

}  // namespace

bool Statement::Names(std::string_view digest) const {
  for (const auto& s : subjects) {
    if (!s.sha256.empty() && s.sha256 == digest) return true;
  }
  return false;
}

Result<Statement> ParseStatement(std::string_view text, const std::string& display) {
  // A verdict's Statement carries a whole scanner report: bound it as one.
  json::Limits limits = ReportJsonLimits();
  limits.max_bytes = kMaxStatementBytes;
  auto doc = json::Parse(text, limits);
  if (!doc.ok()) return doc.error().Wrap(display);
  auto fail = [&](const Error& e) { return e.Wrap(display); };
  json::Value& v = *doc;
  Status st = json::ExpectType(v, json::Type::kObject, "statement");
  if (!st.ok()) return fail(st.error());
  for (std::string_view key : {"_type", "subject", "predicateType"}) {
    if (v.Find(key) == nullptr) return fail(Error{std::string(key) + ": missing"});
  }
  Statement s;
  auto type = json::ReadString(*v.Find("_type"), "_type");
  if (!type.ok()) return fail(type.error());
  if (*type != kStatementV01 && *type != kStatementV1 && *type != kStatementV10Draft) {
    return fail(Error{"_type: " + json::Quote(*type) + " is not an in-toto Statement (" +
                      std::string(kStatementV01) + " or " + std::string(kStatementV1) + ")"});
  }
  s.type = std::move(type.value());
  const json::Value& subjects = *v.Find("subject");
  st = json::ExpectType(subjects, json::Type::kArray, "subject");
  if (!st.ok()) return fail(st.error());
  if (subjects.items().empty()) return fail(Error{"subject: empty"});
  for (size_t i = 0; i < subjects.items().size(); ++i) {
    auto sub = ParseSubject(subjects.items()[i], json::Index("subject", i));
    if (!sub.ok()) return fail(sub.error());
    s.subjects.push_back(std::move(sub.value()));
  }
  auto ptype = json::ReadString(*v.Find("predicateType"), "predicateType");
  if (!ptype.ok()) return fail(ptype.error());
  if (ptype->empty()) return fail(Error{"predicateType: empty"});
  s.predicate_type = std::move(ptype.value());
  if (json::Value* p = v.Find("predicate")) {
    st = json::ExpectType(*p, json::Type::kObject, "predicate");
    if (!st.ok()) return fail(st.error());
    s.predicate = std::move(*p);
  }
  return s;
}

std::string BuildStatement(const StatementSubject& subject, std::string_view predicate_type,
                           const json::Value& predicate) {
  json::Value digest = json::Value::Object();
  std::string hex = subject.sha256;
  if (hex.rfind("sha256:", 0) == 0) hex.erase(0, 7);
  digest.Set("sha256", json::Value::String(hex));
  json::Value sub = json::Value::Object();
  sub.Set("name", json::Value::String(subject.name));
  sub.Set("digest", std::move(digest));
  json::Value subjects = json::Value::Array();
  subjects.Append(std::move(sub));
  json::Value v = json::Value::Object();
  v.Set("_type", json::Value::String(std::string(kStatementV1)));
  v.Set("subject", std::move(subjects));
  v.Set("predicateType", json::Value::String(std::string(predicate_type)));
  // The predicate is optional; a null one is left out, as ParseStatement
  // refuses "predicate": null.
  if (!predicate.is_null()) v.Set("predicate", predicate);
  return json::Serialize(v);
}

}  // namespace moat::verify
