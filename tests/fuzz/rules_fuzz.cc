// rules/rules.h ParseRuleSet (moat.conf's rules, exceptions, trusted_hints),
// then Evaluate against fixed facts: a rule set or an error naming a field;
// every parsed exception grants something and has a reason; evaluation
// never lets a rule on untrusted hints pick a more permissive profile.
#include <string>

#include "base/json.h"
#include "rules/rules.h"
#include "tests/fuzz/fuzz.h"

namespace {

moat::launcher::Profile Named(const std::string& name) {
  moat::launcher::Profile p;
  p.name = name;
  if (name == "restricted") {
    p.root = moat::launcher::RootPolicy::kRemap;
    p.caps_set = true;
    p.drop = moat::launcher::AllCaps();
  }
  return p;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto doc = moat::json::Parse(moat::fuzz::Text(data, size));
  if (!doc.ok()) return 0;
  moat::rules::RuleSet set;
  auto st = moat::rules::ParseRuleSet(*doc, &set);
  if (!st.ok()) {
    const std::string& m = st.error().message;
    FUZZ_CHECK(m.rfind("rules", 0) == 0 || m.rfind("exceptions", 0) == 0 ||
               m.rfind("trusted_hints", 0) == 0);
    return 0;
  }
  for (const auto& e : set.exceptions) {
    FUZZ_CHECK(!e.reason.empty());
    FUZZ_CHECK(!e.grants.caps.empty() || e.grants.root_set || !e.grants.lifted.empty());
  }
  (void)moat::rules::LintRuleSet(set, 0);
  moat::rules::Facts f;
  f.engine = "docker";
  f.labels = {{"a", "b"}, {"moat.profile", "infra"}};
  f.annotations = {{"a", "b"}};
  auto load = [](const std::string& name) -> moat::Result<moat::launcher::Profile> {
    return Named(name);
  };
  auto d = moat::rules::Evaluate(set, f, 0, moat::rules::Mode::kEnforce, "restricted", load);
  FUZZ_CHECK(d.ok());
  if (set.trusted_hints.empty() && set.exceptions.empty()) {
    // Without trusted hints, what the verified facts alone choose bounds the result.
    moat::rules::Facts bare = f;
    bare.labels.clear();
    bare.annotations.clear();
    auto b = moat::rules::Evaluate(set, bare, 0, moat::rules::Mode::kEnforce, "restricted", load);
    FUZZ_CHECK(b.ok());
    FUZZ_CHECK(moat::rules::AtMostAsPermissive(d->profile, b->profile, nullptr));
  }
  return 0;
}
