// shim/config.h ParseConfig (moat.conf): a config or an error naming the
// file; every path moat.conf sets is absolute, the verdict store's and
// scanner keys' too (verdict_policy_fuzz.cc checks the rest of `verdicts`).
#include <string>
#include <vector>

#include "shim/config.h"
#include "tests/fuzz/fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(moat::fuzz::Text(data, size));
  auto c = moat::shim::ParseConfig(text, "moat.conf");
  if (!c.ok()) {
    FUZZ_CHECK(c.error().message.rfind("moat.conf: ", 0) == 0);
    return 0;
  }
  for (const std::string* path :
       {&c->runtime, &c->profiles_dir, &c->audit_log, &c->state_dir, &c->policy, &c->registries_d,
        &c->docker_root, &c->containerd_root, &c->containerd_state}) {
    FUZZ_CHECK(!path->empty() && (*path)[0] == '/');
  }
  if (c->verdicts) {
    std::vector<const std::string*> paths = {&c->verdicts->store};
    for (const std::string& k : c->verdicts->rules.keys) paths.push_back(&k);
    for (const auto& [scope, rules] : c->verdicts->scopes) {
      for (const std::string& k : rules.keys) paths.push_back(&k);
    }
    for (const std::string* path : paths) FUZZ_CHECK(!path->empty() && (*path)[0] == '/');
  }
  return 0;
}
