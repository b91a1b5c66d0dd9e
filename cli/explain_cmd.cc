// moat explain --bundle DIR [--id ID] [--output json]
//
// Everything moat-runtime would decide for `create` of this bundle, without
// creating or changing anything: the image's identity and how it was found,
// the policy scope and signature result, the profile and why it applies, the
// refusals, and a unified diff of config.json before and after the rewrite.
// Exit 0: the create would go ahead; 3: it would be refused; 1: error.
#include <cstdio>

#include "base/diff.h"
#include "base/json.h"
#include "base/time.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/report.h"
#include "shim/bundle.h"
#include "shim/config.h"
#include "verify/identity/identity_json.h"

namespace moat::cli {

namespace {

const std::vector<FlagSpec> kFlags = {
    {"bundle", true, "the OCI bundle directory (as runc's --bundle)"},
    {"id", true, "the container id (default: the bundle directory's name)"},
    {"output", true, "text (default) or json"},
    {"at", true, "judge exceptions' `until` at this RFC 3339 time (default: now)"},
};

constexpr const char* kUsage =
    "usage: moat explain --bundle DIR [--id ID] [--at TIME] [--output json]\n"
    "\n"
    "Shows what moat-runtime would decide for `create` of this bundle, and the\n"
    "config.json it would write, without creating or changing anything.\n"
    "Exit 0: the create would go ahead; 3: it would be refused; 1: error.\n";

std::string ColourDiff(const std::string& diff, const Style& st) {
  if (!st.on) return diff;
  std::string out;
  size_t start = 0;
  while (start < diff.size()) {
    size_t nl = diff.find('\n', start);
    std::string line = diff.substr(start, nl - start);
    const char* code = line.rfind("@@", 0) == 0                                 ? "36"
                       : line.rfind("---", 0) == 0 || line.rfind("+++", 0) == 0 ? "1"
                       : line[0] == '-'                                         ? "31"
                       : line[0] == '+'                                         ? "32"
                                                                                : nullptr;
    out += (code != nullptr ? st.Paint(line, code) : line) + "\n";
    start = nl == std::string::npos ? diff.size() : nl + 1;
  }
  return out;
}

/// What the runtime does with the plan in this mode.
struct Outcome {
  bool refused;       // enforce mode with refusals: the create fails
  std::string words;  // for the text output
};

Outcome Judge(const shim::BundlePlan& plan) {
  if (plan.mode == shim::Mode::kAudit)
    return {false, "ALLOW (audit mode): the decision is logged, config.json is not changed"};
  if (plan.denials.empty()) return {false, "ALLOW: the create goes ahead with the changes above"};
  if (plan.mode == shim::Mode::kWarn)
    return {false, "ALLOW (warn mode): the changes above are made, the refusals are warnings"};
  return {true, "DENY: the create is refused, nothing is changed"};
}

void PrintText(const shim::Config& config, const shim::BundlePlan& plan, const std::string& id,
               const std::string& diff, const Outcome& o) {
  Style st{UseColor()};
  std::printf("bundle:     %s (container %s)\n", plan.bundle.c_str(), id.c_str());
  (void)std::fputs(ImageText(plan.image, st).c_str(), stdout);
  const rules::Decision& r = plan.rule;
  for (const auto& s : r.skipped) std::printf("not:        %s\n", s.c_str());
  if (r.rule.empty()) {
    std::printf("rule:       default (%s)\n", r.why.c_str());
  } else {
    std::printf("rule:       \"%s\" (%s)\n", r.rule.c_str(), r.why.c_str());
  }
  std::printf("mode:       %s (%s)\n", rules::ModeName(plan.mode),
              r.rule.empty() ? ("moat.conf mode, " + config.file).c_str()
                             : ("rule \"" + r.rule + "\" in " + config.file).c_str());
  std::printf("profile:    %s (%s in %s; %s/%s.json)\n", plan.profile.name.c_str(),
              r.rule.empty() ? "default_profile" : "rule", config.file.c_str(),
              config.profiles_dir.c_str(), plan.profile.name.c_str());
  for (const rules::Exception* e : r.applied) {
    std::printf("exception:  \"%s\" until %s (%s%s): grants %s\n", e->name.c_str(),
                FormatRfc3339(e->until).c_str(), e->reason.c_str(),
                e->ticket.empty() ? "" : (", " + e->ticket).c_str(), e->grants.text.c_str());
  }
  for (const rules::Exception* e : r.expired) {
    std::printf("expired:    \"%s\" expired at %s: grants nothing\n", e->name.c_str(),
                FormatRfc3339(e->until).c_str());
  }
  std::printf("changes:\n");
  for (const auto& c : plan.outcome.changes) std::printf("  - %s\n", c.c_str());
  if (plan.outcome.changes.empty()) std::printf("  (none)\n");
  if (!plan.denials.empty()) std::printf("refusals:\n");
  for (const auto& d : plan.denials) std::printf("  - %s\n", st.Paint(d, "31").c_str());
  std::printf("decision:   %s\n", st.Paint(o.words, o.refused ? "1;31" : "1;32").c_str());
  if (!diff.empty()) std::printf("\n%s", ColourDiff(diff, st).c_str());
}

void PrintJson(const shim::Config& config, const shim::BundlePlan& plan, const std::string& id,
               const std::string& diff, const Outcome& o) {
  using json::Value;
  Value out = ImageJson(plan.image);
  out.Set("allow", Value::Bool(!o.refused));
  out.Set("mode", Value::String(rules::ModeName(plan.mode)));
  out.Set("config", Value::String(config.file));
  const rules::Decision& r = plan.rule;
  out.Set("rule", Value::String(r.rule.empty() ? "default" : r.rule));
  out.Set("rule_why", Value::String(r.why));
  out.Set("rules_skipped", verify::StringArray(r.skipped));
  auto names = [](const std::vector<const rules::Exception*>& list) {
    Value a = Value::Array();
    for (const rules::Exception* e : list) {
      Value x = Value::Object();
      x.Set("name", Value::String(e->name));
      x.Set("reason", Value::String(e->reason));
      if (!e->ticket.empty()) x.Set("ticket", Value::String(e->ticket));
      x.Set("until", Value::String(FormatRfc3339(e->until)));
      a.Append(std::move(x));
    }
    return a;
  };
  out.Set("exceptions", names(r.applied));
  out.Set("expired_exceptions", names(r.expired));
  out.Set("bundle", Value::String(plan.bundle));
  out.Set("id", Value::String(id));
  out.Set("profile", Value::String(plan.profile.name));
  out.Set("changes", verify::StringArray(plan.outcome.changes));
  out.Set("denials", verify::StringArray(plan.denials));
  out.Set("diff", Value::String(diff));
  (void)std::fputs((json::Serialize(out) + "\n").c_str(), stdout);
}

}  // namespace

int RunExplain(const std::vector<std::string>& args) {
  int exit_code = kExitOk;
  auto flags = ParseCommand("explain", args, kFlags, kUsage, &exit_code);
  if (!flags) return exit_code;
  auto output_format = OutputFormat(*flags, "explain");
  if (!output_format) return kExitUsage;
  const std::string& output = *output_format;
  if (!flags->positional().empty() || !flags->Has("bundle"))
    return Fail("explain: --bundle DIR is required (moat explain --help)", kExitUsage);
  std::string bundle = flags->Get("bundle");
  while (bundle.size() > 1 && bundle.back() == '/') bundle.pop_back();
  const std::string id = flags->Get("id", bundle.substr(bundle.find_last_of('/') + 1));

  int64_t at = -1;
  if (flags->Has("at")) {
    auto t = ParseRfc3339(flags->Get("at"));
    if (!t.ok()) return Fail("explain: --at: " + t.error().Describe(), kExitUsage);
    at = *t;
  }
  auto config = shim::LoadConfig();
  if (!config.ok()) return Fail(config.error());
  auto plan = shim::PlanBundle(*config, id, bundle, nullptr, at);
  if (!plan.ok()) return Fail(plan.error());
  // Both sides pretty-printed from the parsed documents, so the diff shows
  // what changed, not how the engine happened to format the file.
  auto before = json::Parse(plan->original);
  if (!before.ok()) return Fail(before.error().Wrap(plan->file));
  const Outcome o = Judge(*plan);
  // moat-runtime rewrites config.json in enforce mode when nothing is
  // refused, and in warn mode.
  const bool writes = plan->mode == shim::Mode::kWarn ||
                      (plan->mode == shim::Mode::kEnforce && plan->denials.empty());
  const std::string after = json::Serialize(writes ? plan->config : *before, true);
  const std::string diff = UnifiedDiff(json::Serialize(*before, true) + "\n", after + "\n",
                                       "config.json (as given)", "config.json (as moat writes it)");
  if (output == "json") {
    PrintJson(*config, *plan, id, diff, o);
  } else {
    PrintText(*config, *plan, id, diff, o);
  }
  return o.refused ? kExitDeny : kExitOk;
}

}  // namespace moat::cli
