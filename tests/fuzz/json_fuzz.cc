// base/json.h: Parse, then Serialize must give text that parses back to the
// same value (compact and pretty), and serialising that again must give the
// same bytes. Both key modes: exact keys (moat's own files) and Go's folding
// (config.json, process.json).
#include "base/json.h"
#include "tests/fuzz/fuzz.h"

namespace {

using moat::json::Limits;
using moat::json::Parse;
using moat::json::Serialize;

void RoundTrip(std::string_view text, const Limits& limits) {
  auto v = Parse(text, limits);
  if (!v.ok()) {
    FUZZ_CHECK(!v.error().message.empty());
    return;
  }
  for (bool pretty : {false, true}) {
    const std::string out = Serialize(*v, pretty);
    auto again = Parse(out, limits);
    if (!again.ok())
      FUZZ_FAIL("serialised value does not parse", again.error().message + ": " + out);
    FUZZ_CHECK(*again == *v);
    FUZZ_CHECK(Serialize(*again, pretty) == out);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text = moat::fuzz::Text(data, size);
  Limits exact;
  RoundTrip(text, exact);
  Limits folded;
  folded.go_fold_keys = true;
  RoundTrip(text, folded);
  return 0;
}
