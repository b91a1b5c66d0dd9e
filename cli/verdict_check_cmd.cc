// moat verdict show DIGEST / moat verdict check DIGEST...: what is stored
// for an image and what the verdict policy decides about it (the subcommand
// table is in verdict_cmd.cc).
#include <cstdio>

#include "base/time.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "shim/config.h"
#include "verify/common/reference.h"
#include "verify/verdict/dsse.h"
#include "verify/verdict/verdict.h"
#include "verify/verdict/verdict_decision.h"
#include "verify/verdict/verdict_json.h"
#include "verify/verdict/verdict_store.h"

namespace moat::cli {

namespace {

const std::vector<FlagSpec> kShowFlags = {
    {"name", true, "the image's name, to use the keys of its scope"},
    {"store", true, "the store to read (default: moat.conf's verdicts.store)"},
    {"key", true, "a trusted public key (repeatable; default: moat.conf's verdicts.keys)"},
};
const std::vector<FlagSpec> kCheckFlags = {
    {"name", true, "the name the image is run by (selects the scope's rules)"},
    {"at", true, "decide as of this RFC 3339 time instead of now (expiry, age)"},
    {"output", true, "text (default) or json"},
};

std::optional<verify::Reference> NameFlag(const Flags& flags, Error* err) {
  if (!flags.Has("name")) return std::nullopt;
  auto ref = verify::ParseNormalizedNamed(flags.Get("name"));
  if (!ref.ok()) {
    *err = ref.error().Wrap("--name");
    return std::nullopt;
  }
  return std::move(ref.value());
}

Status CheckDigests(const std::vector<std::string>& digests) {
  if (digests.empty()) return Error{"give the image manifest digest, sha256:<64 hex>"};
  for (const auto& d : digests) {
    if (!verify::IsSha256Digest(d)) {
      return Error{json::Quote(d) + " is not a manifest digest sha256:<64 hex>"};
    }
  }
  return Status::Ok();
}

void ShowOne(const verify::StoredVerdict& s, const std::string& digest,
             const std::vector<verify::VerdictKey>& keys) {
  std::printf("%s\n", s.path.c_str());
  if (!s.problem.empty()) {
    std::printf("  unusable:  %s\n", s.problem.c_str());
    return;
  }
  auto env = verify::ParseDsseEnvelope(s.bytes, s.path);
  if (!env.ok()) {
    std::printf("  unusable:  %s\n", env.error().Describe().c_str());
    return;
  }
  std::vector<const verify::PublicKey*> pubs;
  for (const auto& k : keys) pubs.push_back(&k.key);
  auto which = verify::VerifyDsse(*env, pubs);
  if (which.ok()) {
    std::printf("  signature: verified with %s\n", keys[*which].path.c_str());
  } else {
    std::printf("  signature: NOT VERIFIED (%s); what follows is unverified\n",
                which.error().message.c_str());
  }
  auto claims = verify::ReadVerdictClaims(*env);
  if (!claims.ok()) {
    std::printf("  unusable:  %s\n", claims.error().Describe().c_str());
    return;
  }
  bool names = false;
  for (const auto& sub : claims->subjects) names = names || sub == digest;
  const verify::VulnPredicate& p = claims->predicate;
  std::printf("  statement: %s%s\n", claims->statement_type.c_str(),
              names ? "" : ", NOT about this digest");
  std::printf("  scanner:   %s %s (%s)\n", verify::ReportFormatName(p.report.format),
              p.scanner_version.c_str(), p.scanner_uri.c_str());
  std::printf("  scanned:   %s\n", FormatRfc3339(p.scan_finished).c_str());
  verify::SeverityCounts counts{};
  for (const auto& f : p.report.findings) ++counts[static_cast<size_t>(f.severity)];
  std::printf("  findings:  %zu (%s)\n", p.report.findings.size(),
              verify::FormatSeverityCounts(counts).c_str());
  for (const auto& f : p.report.findings) {
    std::printf("    %-8s %-20s %s %s -> %s\n", verify::SeverityName(f.severity), f.id.c_str(),
                f.package.c_str(), f.installed.c_str(),
                f.fixable() ? f.fixed_version.c_str() : "(no fix)");
  }
}

}  // namespace

int RunVerdictShow(const std::vector<std::string>& args) {
  int exit_code = kExitOk;
  auto flags = ParseCommand(
      "verdict show", args, kShowFlags,
      "usage: moat verdict show DIGEST [--name REF]\n\nLists the verdicts stored for an image "
      "manifest digest: whether each one's signature verifies with a trusted key, and what "
      "it reports.\n",
      &exit_code);
  if (!flags) return exit_code;
  if (flags->positional().size() != 1)
    return Fail("verdict show: give one manifest digest", kExitUsage);
  const std::string digest = flags->positional()[0];
  Status st = CheckDigests({digest});
  if (!st.ok()) return Fail(st.error().Wrap("verdict show"), kExitUsage);
  Error err;
  auto ref = NameFlag(*flags, &err);
  if (!err.message.empty()) return Fail(err, kExitUsage);

  std::string store = flags->Get("store");
  std::vector<std::string> key_paths = flags->GetAll("key");
  verify::VerdictStoreOptions options;
  if (store.empty() || key_paths.empty()) {
    auto config = shim::LoadConfig();
    if (!config.ok()) return Fail(config.error());
    if (!config->verdicts) return Fail(config->file + ": verdicts: not configured");
    if (store.empty()) store = config->verdicts->store;
    if (key_paths.empty()) key_paths = config->verdicts->For(ref ? &*ref : nullptr).keys;
  }
  if (flags->Has("store")) options.require_root_owned = false;
  auto keys = verify::LoadVerdictKeys(key_paths, !flags->Has("key"));
  if (!keys.ok()) return Fail(keys.error());
  auto stored = verify::ReadVerdicts(store, digest, options);
  if (!stored.ok()) return Fail(stored.error());
  if (stored->empty()) {
    std::printf("no verdicts stored for %s in %s\n", digest.c_str(), store.c_str());
    return kExitOk;
  }
  for (const auto& s : *stored) ShowOne(s, digest, *keys);
  return kExitOk;
}

int RunVerdictCheck(const std::vector<std::string>& args) {
  int exit_code = kExitOk;
  auto flags = ParseCommand(
      "verdict check", args, kCheckFlags,
      "usage: moat verdict check DIGEST... [--name REF] [--at TIME] [--output json]\n\n"
      "What moat.conf's verdict policy decides for an image with these manifest digests\n"
      "(a list and its per-platform manifest may both be given), with the reasons.\n"
      "Exit 0: allowed; 3: refused; 1: error.\n",
      &exit_code);
  if (!flags) return exit_code;
  auto output_format = OutputFormat(*flags, "verdict check");
  if (!output_format) return kExitUsage;
  const std::string& output = *output_format;
  Status st = CheckDigests(flags->positional());
  if (!st.ok()) return Fail(st.error().Wrap("verdict check"), kExitUsage);
  Error err;
  auto ref = NameFlag(*flags, &err);
  if (!err.message.empty()) return Fail(err, kExitUsage);
  int64_t now = NowUnix();
  if (flags->Has("at")) {
    auto t = ParseRfc3339(flags->Get("at"));
    if (!t.ok()) return Fail(t.error().Wrap("--at"), kExitUsage);
    now = *t;
  }
  auto config = shim::LoadConfig();
  if (!config.ok()) return Fail(config.error());
  if (!config->verdicts) return Fail(config->file + ": verdicts: not configured");
  auto d =
      verify::CheckVerdict(*config->verdicts, flags->positional(), ref ? &*ref : nullptr, now,
                           verify::VerdictStoreOptions(), config->state_dir + "/cache/verdicts");
  if (!d.ok()) return Fail(d.error().Wrap(config->file));
  if (output == "json") {
    (void)std::fputs((json::Serialize(verify::VerdictDecisionJson(*d)) + "\n").c_str(), stdout);
  } else {
    for (const auto& line : verify::VerdictDecisionLines(*d)) std::printf("%s\n", line.c_str());
  }
  return d->allow ? kExitOk : kExitDeny;
}

}  // namespace moat::cli
