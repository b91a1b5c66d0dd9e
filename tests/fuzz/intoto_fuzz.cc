// verify/verdict/intoto.h ParseStatement (an in-toto Statement v0.1 or v1, the
// payload of a verdict's envelope), and verify/verdict/verdict.h ReadVerdictClaims
// over it as a verified envelope's payload: a Statement or an error naming
// the file. A Statement has a known _type, subjects whose sha256 digests are
// sha256:<64 lower-case hex> and that it Names, a predicate type, an object
// or no predicate; BuildStatement about any of its subjects reads back as
// the same subject, predicate type and predicate. Claims hold the invariants
// of verdict_checks.h.
#include <cstddef>
#include <string>
#include <string_view>

#include "tests/fuzz/fuzz.h"
#include "tests/fuzz/verdict_checks.h"
#include "verify/common/reference.h"
#include "verify/verdict/dsse.h"
#include "verify/verdict/intoto.h"
#include "verify/verdict/verdict.h"

namespace {

// BuildStatement is about one subject: a few are enough.
constexpr size_t kMaxRebuilt = 4;

void CheckStatement(const moat::verify::Statement& s) {
  FUZZ_CHECK(s.type == moat::verify::kStatementV01 || s.type == moat::verify::kStatementV1 ||
             s.type == "https://in-toto.io/Statement/v1.0");
  FUZZ_CHECK(!s.subjects.empty());
  FUZZ_CHECK(!s.predicate_type.empty());
  FUZZ_CHECK(s.predicate.is_null() || s.predicate.is_object());
  size_t rebuilt = 0;
  for (const auto& sub : s.subjects) {
    if (sub.sha256.empty()) continue;
    FUZZ_CHECK(moat::verify::IsSha256Digest(sub.sha256));
    FUZZ_CHECK(s.Names(sub.sha256));
    if (rebuilt == kMaxRebuilt) continue;
    ++rebuilt;
    const std::string text = moat::verify::BuildStatement(sub, s.predicate_type, s.predicate);
    auto again = moat::verify::ParseStatement(text, "built.json");
    if (!again.ok()) FUZZ_FAIL("built Statement", again.error().message);
    FUZZ_CHECK(again->type == moat::verify::kStatementV1);
    FUZZ_CHECK(again->subjects.size() == 1);
    FUZZ_CHECK(again->subjects[0].name == sub.name && again->subjects[0].sha256 == sub.sha256);
    FUZZ_CHECK(again->predicate_type == s.predicate_type);
    FUZZ_CHECK(again->predicate == s.predicate);
  }
  FUZZ_CHECK(!s.Names(""));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text = moat::fuzz::Text(data, size);
  auto s = moat::verify::ParseStatement(text, "payload.json");
  if (!s.ok()) {
    FUZZ_CHECK(s.error().message.rfind("payload.json: ", 0) == 0);
  } else {
    CheckStatement(*s);
  }

  moat::verify::DsseEnvelope env;
  env.payload_type = std::string(moat::verify::kInTotoPayloadType);
  env.payload = std::string(text);
  auto claims = moat::verify::ReadVerdictClaims(env);
  if (!claims.ok()) return 0;
  FUZZ_CHECK(s.ok() && claims->statement_type == s->type);
  FUZZ_CHECK(s->predicate_type == moat::verify::kCosignVulnPredicateType);
  for (const auto& d : claims->subjects) {
    FUZZ_CHECK(moat::verify::IsSha256Digest(d) && s->Names(d));
  }
  moat::fuzz::CheckPredicate(claims->predicate);
  return 0;
}
