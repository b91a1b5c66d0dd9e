// in-toto attestation Statements (in-toto/attestation spec/v1/statement.md,
// and v0.1 as cosign writes it):
//
//   {"_type": "https://in-toto.io/Statement/v1",
//    "subject": [{"name": "...", "digest": {"sha256": "<hex>"}}],
//    "predicateType": "<URI>", "predicate": {...}}
//
// As the spec asks of consumers, unknown fields are ignored; duplicate keys
// are still errors (base/json.h). Parse only a payload whose envelope has
// been verified.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/json.h"
#include "base/status.h"

namespace moat::verify {

inline constexpr std::string_view kStatementV01 = "https://in-toto.io/Statement/v0.1";
inline constexpr std::string_view kStatementV1 = "https://in-toto.io/Statement/v1";

struct StatementSubject {
  std::string name;    // may be empty (v1 makes it optional)
  std::string sha256;  // "sha256:<64 lower-case hex>", empty when the subject has none
};

struct Statement {
  std::string type;  // one of the accepted _type values
  std::vector<StatementSubject> subjects;
  std::string predicate_type;
  json::Value predicate;  // null when absent

  /// True when some subject's sha256 digest is `digest` ("sha256:<hex>").
  bool Names(std::string_view digest) const;
};

/// Parses a Statement. `_type` must be v0.1, v1 or the v1.0 draft's
/// "https://in-toto.io/Statement/v1.0"; `subject` a non-empty array of
/// objects with a `digest` object of strings (a sha256 value must be 64 hex
/// digits, either case); `predicateType` a non-empty string; `predicate` an
/// object when present. Errors: "<display>: subject[0].digest.sha256: ...".
Result<Statement> ParseStatement(std::string_view json, const std::string& display);

/// A v1 Statement about one subject, as JSON text; without a predicate
/// member when `predicate` is null.
std::string BuildStatement(const StatementSubject& subject, std::string_view predicate_type,
                           const json::Value& predicate);

}  // namespace moat::verify
