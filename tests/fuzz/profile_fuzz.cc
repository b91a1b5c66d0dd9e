// launcher/profile.h ParseProfile: any text gives a profile or an error
// naming the file; a profile's capability rule is monotone (Apply never
// grants what is neither requested nor in `add`).
#include "launcher/profile.h"
#include "tests/fuzz/fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(moat::fuzz::Text(data, size));
  auto p = moat::launcher::ParseProfile(text, "fuzz", "fuzz.json");
  if (!p.ok()) {
    FUZZ_CHECK(p.error().message.rfind("fuzz.json: ", 0) == 0);
    return 0;
  }
  const moat::launcher::CapSet all = moat::launcher::AllCaps();
  const moat::launcher::CapSet got = p->Apply(all);
  for (int c : got) FUZZ_CHECK(all.count(c) != 0 || p->add.count(c) != 0);
  const moat::launcher::CapSet none = p->Apply({});
  FUZZ_CHECK(none == p->add);
  FUZZ_CHECK(p->Apply(got) == got);
  return 0;
}
