// Which profile, in which mode and with which exceptions, applies to a
// container: an ordered list of rules over facts moat established itself
// (the image, its signer, its verdict, the engine) and, kept apart, facts
// the caller supplied (labels, annotations). Format: man/moat-rules.5.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "base/json.h"
#include "base/status.h"
#include "launcher/caps.h"
#include "launcher/profile.h"

namespace moat::rules {

/// What a refusal does. kEnforce refuses; kWarn applies the profile's
/// changes but lets a refused container run, with a warning; kAudit runs the
/// container unchanged and records what enforce would have done.
enum class Mode { kEnforce, kAudit, kWarn };

const char* ModeName(Mode m);

/// The facts a rule is matched against.
struct Facts {
  // Established by moat from engine state and the trust policy.
  std::string engine;                // "docker", "containerd", "podman", "oci-layout", "unknown"
  std::string containerd_namespace;  // containerd only, from the task bundle path
  std::string image_id;              // "sha256:..." of the image config; empty when unknown
  std::vector<std::string> manifest_digests;  // verified manifests of the image
  bool trusted = false;                       // the trust policy accepted the image
  std::string reference;                      // the name the trust policy accepted it under
  std::string repository;  // that name's repository ("127.0.0.1:5000/infra/agent")
  std::string scope;       // the policy scope that decided
  struct Signer {
    std::string type;  // "signedBy" or "sigstoreSigned"
    std::string key;   // GPG fingerprint, or the sigstore key's source in policy.json
  };
  std::vector<Signer> signers;
  /// "clean", "allowlisted", "not-required", "unchecked", "missing", "fail".
  std::string verdict = "unchecked";
  // Supplied by whoever created the container.
  std::map<std::string, std::string> labels;       // Docker labels (config.v2.json)
  std::map<std::string, std::string> annotations;  // config.json annotations
};

/// Which caller-supplied facts the operator trusts, and where.
struct TrustedHint {
  std::string source;                // "labels" or "annotations"
  std::string engine;                // the engine that must have made the container
  std::string containerd_namespace;  // empty: any
  std::string where;                 // "trusted_hints[0]"
};

/// A conjunction of conditions; an absent condition matches anything. String
/// lists match when any entry matches; an entry ending in "*" matches by prefix.
struct Selector {
  std::vector<std::string> engine;
  std::vector<std::string> containerd_namespace;
  std::vector<std::string> repository;
  std::vector<std::string> scope;
  std::vector<std::string> digest;  // the image id or any verified manifest digest
  std::vector<std::string> verdict;
  std::vector<std::string> signer_type;  // the signer must match type and key
  std::vector<std::string> signer_key;
  bool has_signer = false;
  std::vector<std::pair<std::string, std::string>> labels;  // all must be present and equal
  std::vector<std::pair<std::string, std::string>> annotations;
  bool UsesHints() const { return !labels.empty() || !annotations.empty(); }
};

struct Rule {
  std::string name;
  std::string where;  // "rules[2]"
  Selector match;
  std::string profile;
  bool has_mode = false;  // absent: moat.conf `mode`
  Mode mode = Mode::kEnforce;
};

/// What an exception grants, in profile syntax: capabilities.add,
/// user.root ("allow" or "remap"), deny.* set to false, host_paths, devices.
struct Grants {
  launcher::CapSet caps;
  bool root_set = false;
  launcher::RootPolicy root = launcher::RootPolicy::kRefuse;
  std::vector<std::string> lifted;  // deny keys set to false
  std::vector<launcher::HostPathGrant> host_paths;
  std::vector<launcher::DeviceGrant> devices;
  std::string text;  // as written, for explain
};

struct Exception {
  std::string name;
  std::string where;  // "exceptions[0]"
  Selector match;
  Grants grants;
  std::string reason;
  std::string ticket;
  int64_t until = 0;  // Unix seconds; the exception applies while now < until
};

struct RuleSet {
  std::vector<Rule> rules;
  std::vector<Exception> exceptions;
  std::vector<TrustedHint> trusted_hints;
  bool empty() const { return rules.empty() && exceptions.empty(); }
};

/// Reads moat.conf's `rules`, `exceptions` and `trusted_hints` members of
/// `conf` (any may be absent). Errors name the field ("rules[1].match.engine: ...").
Status ParseRuleSet(const json::Value& conf, RuleSet* out);

/// Lint findings that do not stop moat: expired exceptions, duplicate names,
/// rules no container can reach, hint rules that can only tighten.
std::vector<std::string> LintRuleSet(const RuleSet& set, int64_t now);

/// The profile a name stands for (launcher::LoadProfile, or a test's table).
using ProfileLoader = std::function<Result<launcher::Profile>(const std::string&)>;

struct Decision {
  std::string rule;  // the matching rule's name; "" for default_profile
  std::string why;   // why it matched, or "no rule matched"
  /// One line per earlier rule: why it did not apply.
  std::vector<std::string> skipped;
  /// The entries of `skipped` that matched but read untrusted hints and
  /// would have granted more (or a laxer mode): a refusal names them.
  std::vector<std::string> ignored;
  Mode mode = Mode::kEnforce;
  /// The named profile widened by the exceptions applied.
  launcher::Profile profile;
  std::vector<const Exception*> applied;
  std::vector<const Exception*> expired;  // matched, but past `until`
};

/// First match wins; nothing matching gives `default_profile` in
/// `default_mode`. A rule whose selector reads a caller-supplied fact the
/// operator does not trust for these facts applies only when its profile is
/// at most as permissive (AtMostAsPermissive) and its mode at most as lax as
/// what would apply without it; otherwise it is skipped, and says why.
Result<Decision> Evaluate(const RuleSet& set, const Facts& facts, int64_t now, Mode default_mode,
                          const std::string& default_profile, const ProfileLoader& load);

/// True when every container `q` lets through, with the changes it makes,
/// `p` would also let through with at least the same rights, judged field by
/// field and conservatively (false when in doubt, with the field in `why`).
bool AtMostAsPermissive(const launcher::Profile& q, const launcher::Profile& p, std::string* why);

/// What a refusal says of an exception past its `until`: its name, reason,
/// ticket and when it expired.
std::string ExpiredNote(const Exception& e);

/// `p` with the grants applied: capabilities added (and allowed), root
/// policy raised, deny rules lifted.
launcher::Profile Widen(launcher::Profile p, const Grants& g);

}  // namespace moat::rules
