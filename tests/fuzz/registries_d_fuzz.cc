// verify/signature/registries_d.h ParseRegistriesYaml (one containers-registries.d(5)
// file, on verify/common/yaml.h): a configuration or an error naming the file; a
// parsed one answers LookasideFor (an absolute directory without trailing
// slash) and SignatureDir for any reference, and merging it with itself is
// refused (every scope would be defined twice).
#include "tests/fuzz/fuzz.h"
#include "verify/common/reference.h"
#include "verify/common/yaml.h"
#include "verify/signature/registries_d.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text = moat::fuzz::Text(data, size);
  (void)moat::verify::yaml::Parse(text);
  auto r = moat::verify::ParseRegistriesYaml(text, "a.yaml");
  if (!r.ok()) {
    FUZZ_CHECK(r.error().message.rfind("a.yaml: ", 0) == 0);
    return 0;
  }
  for (const char* s : {"busybox", "quay.io/a/b:1", "localhost:5000/x/y:z"}) {
    auto ref = moat::verify::ParseNormalizedTagged(s);
    FUZZ_CHECK(ref.ok());
    (void)r->UseSigstoreAttachments(*ref);
    auto base = r->LookasideFor(*ref);
    if (!base.ok()) continue;
    // Absolute, without a trailing "/"; the root directory is "" (file:///).
    FUZZ_CHECK(base->dir.empty() || (base->dir[0] == '/' && base->dir.back() != '/'));
    auto dir = moat::verify::SignatureDir(base->dir, *ref, "sha256:" + std::string(64, '0'));
    FUZZ_CHECK(dir.ok());
  }
  moat::verify::RegistriesD copy = *r;
  const bool empty = !r->default_docker && r->docker.empty();
  FUZZ_CHECK(moat::verify::MergeRegistriesD(&copy, *r).ok() == empty);
  return 0;
}
