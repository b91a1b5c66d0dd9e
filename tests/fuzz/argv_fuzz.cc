// shim/argv.h ParseArgv (runc's command line) on argv split at NUL bytes,
// with "runc" as argv[0]: an invocation or an error; a parsed invocation
// answers its accessors. ParseGoInt64 on each argument, in both bases.
#include <string>
#include <vector>

#include "shim/argv.h"
#include "tests/fuzz/fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text = moat::fuzz::Text(data, size);
  std::vector<std::string> argv = {"runc"};
  size_t start = 0;
  while (start <= text.size() && argv.size() < 256) {
    size_t nul = text.find('\0', start);
    if (nul == std::string_view::npos) nul = text.size();
    argv.emplace_back(text.substr(start, nul - start));
    start = nul + 1;
  }
  auto inv = moat::shim::ParseArgv(argv);
  if (inv.ok()) {
    (void)moat::shim::VerbName(inv->verb);
    (void)inv->ContainerId();
    for (const auto& [name, values] : inv->flags) {
      FUZZ_CHECK(!values.empty());
      FUZZ_CHECK(inv->Last(name) != nullptr && *inv->Last(name) == values.back());
      (void)inv->Bool(name);
    }
  } else {
    FUZZ_CHECK(!inv.error().message.empty());
  }
  for (const auto& a : argv) {
    int64_t n = 0;
    for (int base : {0, 10}) {
      if (moat::shim::ParseGoInt64(a, base, &n) && base == 10) {
        // A base-10 number is a base-0 number unless it has a leading zero
        // (octal there) or an underscore (base 0 only).
        int64_t m = 0;
        if (a.find('_') == std::string::npos && !(a.size() > 1 && a[0] == '0') &&
            !(a.size() > 2 && (a[0] == '-' || a[0] == '+') && a[1] == '0')) {
          FUZZ_CHECK(moat::shim::ParseGoInt64(a, 0, &m) && m == n);
        }
      }
    }
  }
  return 0;
}
