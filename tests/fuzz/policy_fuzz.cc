// verify/signature/policy.h ParsePolicy (containers-policy.json(5)): a policy or an
// error naming the file; a parsed policy answers ForDocker for any reference
// with a non-empty requirement list, and MatchesSignedIdentity runs on every
// requirement. Key files are named but not read (the host's files are not
// the fuzzer's to open).
#include "tests/fuzz/fuzz.h"
#include "verify/common/reference.h"
#include "verify/signature/policy.h"

namespace {

const std::vector<moat::verify::Reference>& Refs() {
  static const std::vector<moat::verify::Reference> refs = [] {
    std::vector<moat::verify::Reference> out;
    for (const std::string& s : {std::string("busybox"), std::string("quay.io/a/b:1"),
                                 "localhost:5000/x/y@sha256:" + std::string(64, 'a'),
                                 std::string("docker.io/library/busybox:latest")}) {
      auto r = moat::verify::ParseNormalizedTagged(s);
      if (!r.ok()) FUZZ_FAIL("built-in reference", r.error().message);
      out.push_back(*r);
    }
    return out;
  }();
  return refs;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  moat::verify::PolicyOptions options;
  options.require_root_owned = false;
  options.read_key_files = false;
  auto p = moat::verify::ParsePolicy(moat::fuzz::Text(data, size), "policy.json", options);
  if (!p.ok()) {
    FUZZ_CHECK(p.error().message.rfind("policy.json: ", 0) == 0);
    return 0;
  }
  FUZZ_CHECK(!p->default_requirements.empty());
  for (const auto& image : Refs()) {
    std::string matched;
    const auto& reqs = p->ForDocker(image, &matched);
    FUZZ_CHECK(!reqs.empty() && !matched.empty());
    for (const auto& req : reqs) {
      for (const auto& signer : Refs()) {
        (void)moat::verify::MatchesSignedIdentity(req.identity, image, signer);
      }
    }
  }
  return 0;
}
