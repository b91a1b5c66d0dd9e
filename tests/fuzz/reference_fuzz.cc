// verify/common/reference.h: image references. A reference that parses prints as
// a string that parses back to the same reference, in canonical form too;
// ParseNormalizedTagged adds a tag only when there was neither tag nor
// digest. Scopes (verify/common/scope.h) of every parsed reference validate.
#include "tests/fuzz/fuzz.h"
#include "verify/common/reference.h"
#include "verify/common/scope.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace moat::verify;
  const std::string_view text = moat::fuzz::Text(data, size);
  (void)IsValidDomain(text);
  (void)IsValidTag(text);
  (void)IsValidPath(text);
  (void)ValidateDockerScope(text);
  auto r = ParseNormalizedNamed(text);
  if (!r.ok()) return 0;
  const std::string s = r->String();
  auto again = ParseNormalizedNamed(s);
  if (!again.ok()) FUZZ_FAIL("String() does not parse", again.error().message);
  FUZZ_CHECK(*again == *r);
  auto canonical = ParseCanonicalNamed(s);
  if (!canonical.ok()) FUZZ_FAIL("String() is not canonical", canonical.error().message);
  FUZZ_CHECK(*canonical == *r);
  auto tagged = ParseNormalizedTagged(text);
  FUZZ_CHECK(tagged.ok());
  if (IsNameOnly(*r)) {
    FUZZ_CHECK(tagged->tag == "latest");
  } else {
    FUZZ_CHECK(*tagged == *r);
  }
  for (const std::string& scope : DockerScopes(*r)) {
    if (!ValidateDockerScope(scope).ok()) FUZZ_FAIL("scope does not validate", scope);
  }
  return 0;
}
