// Rule matching, the permissiveness order on profiles, and exceptions.
#include <strings.h>

#include <algorithm>

#include "base/time.h"
#include "rules/rules.h"

namespace moat::rules {

namespace {

using launcher::Profile;
using launcher::RootPolicy;

bool Glob(const std::string& pattern, const std::string& value) {
  if (!pattern.empty() && pattern.back() == '*')
    return value.compare(0, pattern.size() - 1, pattern, 0, pattern.size() - 1) == 0;
  return pattern == value;
}

bool AnyOf(const std::vector<std::string>& patterns, const std::string& value) {
  return std::any_of(patterns.begin(), patterns.end(),
                     [&](const std::string& p) { return Glob(p, value); });
}

std::string Shown(const std::string& v) { return v.empty() ? "(none)" : "\"" + v + "\""; }

// Empty: the selector matches. Otherwise the first condition that failed.
std::string Mismatch(const Selector& s, const Facts& f) {
  if (!s.engine.empty() && !AnyOf(s.engine, f.engine)) return "engine is " + Shown(f.engine);
  if (!s.containerd_namespace.empty() &&
      (f.engine != "containerd" || !AnyOf(s.containerd_namespace, f.containerd_namespace)))
    return "containerd namespace is " + Shown(f.containerd_namespace);
  if (!s.repository.empty() && (f.repository.empty() || !AnyOf(s.repository, f.repository)))
    return "trusted repository is " + Shown(f.repository);
  if (!s.scope.empty() && (!f.trusted || !AnyOf(s.scope, f.scope)))
    return "policy scope is " + Shown(f.trusted ? f.scope : "");
  if (!s.digest.empty()) {
    bool hit = !f.image_id.empty() && AnyOf(s.digest, f.image_id);
    for (const auto& d : f.manifest_digests) hit = hit || AnyOf(s.digest, d);
    if (!hit) return "image " + Shown(f.image_id) + " has no listed digest";
  }
  if (!s.verdict.empty() && !AnyOf(s.verdict, f.verdict)) return "verdict is " + Shown(f.verdict);
  if (s.has_signer) {
    bool hit = false;
    for (const auto& sg : f.signers) {
      bool type = s.signer_type.empty() || AnyOf(s.signer_type, sg.type);
      bool key = s.signer_key.empty() ||
                 std::any_of(s.signer_key.begin(), s.signer_key.end(), [&](const std::string& k) {
                   return k.size() == sg.key.size() && ::strcasecmp(k.c_str(), sg.key.c_str()) == 0;
                 });
      hit = hit || (type && key && !sg.key.empty());
    }
    if (!hit) {
      std::string keys;
      for (const auto& sg : f.signers) keys += (keys.empty() ? "" : ", ") + sg.type + " " + sg.key;
      return "signed by " + (keys.empty() ? std::string("no verified key") : keys);
    }
  }
  auto pairs = [](const std::vector<std::pair<std::string, std::string>>& want,
                  const std::map<std::string, std::string>& have, const char* what) -> std::string {
    for (const auto& [k, v] : want) {
      auto it = have.find(k);
      if (it == have.end()) return std::string(what) + " " + k + " is absent";
      if (it->second != v) return std::string(what) + " " + k + " is " + Shown(it->second);
    }
    return "";
  };
  std::string why = pairs(s.labels, f.labels, "label");
  if (why.empty()) why = pairs(s.annotations, f.annotations, "annotation");
  return why;
}

bool HintTrusted(const RuleSet& set, const Facts& f, const char* source) {
  return std::any_of(set.trusted_hints.begin(), set.trusted_hints.end(), [&](const auto& h) {
    return h.source == source && h.engine == f.engine &&
           (h.containerd_namespace.empty() || h.containerd_namespace == f.containerd_namespace);
  });
}

// The selector reads a caller-supplied fact the operator does not trust here.
bool UsesUntrusted(const RuleSet& set, const Selector& s, const Facts& f) {
  return (!s.labels.empty() && !HintTrusted(set, f, "labels")) ||
         (!s.annotations.empty() && !HintTrusted(set, f, "annotations"));
}

int Laxness(Mode m) { return m == Mode::kEnforce ? 0 : m == Mode::kWarn ? 1 : 2; }

int RootRank(RootPolicy r) {
  return r == RootPolicy::kRefuse ? 0 : r == RootPolicy::kRemap ? 1 : 2;
}

// What a process keeps of what it asks for, and what it is given besides.
launcher::CapSet Keep(const Profile& p) {
  launcher::CapSet all = launcher::AllCaps();
  if (!p.caps_set) return all;
  launcher::CapSet out;
  for (int c : all) {
    if (p.drop.count(c) == 0 && (!p.allow || p.allow->count(c) != 0)) out.insert(c);
  }
  return out;
}

// A forced setting (true) in `p` must be forced in `q`; nothing in `p` lets `q` say anything
// but false.
bool ForcedAsMuch(const std::optional<bool>& q, const std::optional<bool>& p) {
  if (p == true) return q == true;
  if (!p) return q != false;
  return true;
}

}  // namespace

// Every field of Profile is judged here: a field added to Profile must be
// added too, or a hint rule naming a profile that differs in it could grant
// more. The size check makes a new field a compile error until it is.
static_assert(sizeof(Profile) == 424,
              "launcher::Profile changed: extend AtMostAsPermissive to judge the new field");

bool AtMostAsPermissive(const Profile& q, const Profile& p, std::string* why) {
  auto no = [&](const std::string& field) {
    if (why != nullptr) *why = field;
    return false;
  };
  if (RootRank(q.root) > RootRank(p.root)) return no("user.root");
  if (q.root == RootPolicy::kRemap && p.root == RootPolicy::kRemap &&
      (q.remap_uid != p.remap_uid || q.remap_gid != p.remap_gid))
    return no("user.uid/gid");
  const launcher::CapSet q_add = q.caps_set ? q.add : launcher::CapSet{};
  const launcher::CapSet p_add = p.caps_set ? p.add : launcher::CapSet{};
  const launcher::CapSet p_keep = Keep(p);
  for (int c : q_add) {
    if (p_add.count(c) == 0) return no("capabilities.add " + launcher::CapName(c));
  }
  for (int c : Keep(q)) {
    if (p_keep.count(c) == 0 && p_add.count(c) == 0)
      return no("capabilities (keeps " + launcher::CapName(c) + ")");
  }
  if (!ForcedAsMuch(q.no_new_privileges, p.no_new_privileges)) return no("no_new_privileges");
  if (!ForcedAsMuch(q.readonly_rootfs, p.readonly_rootfs)) return no("readonly_rootfs");
  if (q.tmpfs.size() != p.tmpfs.size()) return no("tmpfs");
  for (size_t i = 0; i < q.tmpfs.size(); ++i) {
    if (q.tmpfs[i].path != p.tmpfs[i].path || q.tmpfs[i].options != p.tmpfs[i].options)
      return no("tmpfs");
  }
  if (p.pids_limit && (!q.pids_limit || *q.pids_limit > *p.pids_limit)) return no("pids_limit");
  const launcher::DenyRules &qd = q.deny, &pd = p.deny;
  if ((pd.privileged && !qd.privileged) || (pd.host_namespaces && !qd.host_namespaces) ||
      (pd.cgroup_namespace && !qd.cgroup_namespace) || (pd.engine_sockets && !qd.engine_sockets) ||
      (pd.host_paths && !qd.host_paths) || (pd.devices && !qd.devices) ||
      (pd.unconfined_lsm && !qd.unconfined_lsm))
    return no("deny");
  if (p.exec == launcher::ExecPolicy::kRefuse && q.exec != launcher::ExecPolicy::kRefuse)
    return no("exec");
  if (q.seccomp != p.seccomp || q.seccomp_policy != p.seccomp_policy) return no("seccomp");
  if (!q.secrets.empty() && q.name != p.name) return no("secrets");
  for (const auto& g : q.host_paths) {
    const bool covered = std::any_of(p.host_paths.begin(), p.host_paths.end(), [&](const auto& h) {
      return h.path == g.path && (h.writable || !g.writable);
    });
    if (!covered) return no("host_paths " + g.path);
  }
  for (const auto& g : q.devices) {
    const bool covered = std::any_of(p.devices.begin(), p.devices.end(), [&](const auto& h) {
      return h.number.type == g.number.type && h.number.major == g.number.major &&
             h.number.minor == g.number.minor &&
             g.access.find_first_not_of(h.access) == std::string::npos;
    });
    if (!covered) return no("devices " + launcher::DescribeDevice(g.number));
  }
  return true;
}

std::string ExpiredNote(const Exception& e) {
  return "exception \"" + e.name + "\" (" + e.reason + (e.ticket.empty() ? "" : ", " + e.ticket) +
         ") expired at " + FormatRfc3339(e.until);
}

Profile Widen(Profile p, const Grants& g) {
  if (!g.caps.empty()) {
    p.caps_set = true;
    p.add.insert(g.caps.begin(), g.caps.end());
    if (p.allow) p.allow->insert(g.caps.begin(), g.caps.end());
  }
  if (g.root_set && RootRank(g.root) > RootRank(p.root)) p.root = g.root;
  for (const auto& key : g.lifted) {
    if (key == "privileged") p.deny.privileged = false;
    if (key == "host_namespaces") p.deny.host_namespaces = false;
    if (key == "cgroup_namespace") p.deny.cgroup_namespace = false;
    if (key == "engine_sockets") p.deny.engine_sockets = false;
    if (key == "host_paths") p.deny.host_paths = false;
    if (key == "devices") p.deny.devices = false;
    if (key == "unconfined_lsm") p.deny.unconfined_lsm = false;
  }
  p.host_paths.insert(p.host_paths.end(), g.host_paths.begin(), g.host_paths.end());
  p.devices.insert(p.devices.end(), g.devices.begin(), g.devices.end());
  return p;
}

Result<Decision> Evaluate(const RuleSet& set, const Facts& facts, int64_t now, Mode default_mode,
                          const std::string& default_profile, const ProfileLoader& load) {
  // What applies without the rules that read untrusted hints: the bound
  // those rules may only tighten.
  const Rule* base = nullptr;
  for (const auto& r : set.rules) {
    if (!UsesUntrusted(set, r.match, facts) && Mismatch(r.match, facts).empty()) {
      base = &r;
      break;
    }
  }
  const std::string base_name = base != nullptr ? base->profile : default_profile;
  const Mode base_mode = base != nullptr && base->has_mode ? base->mode : default_mode;
  auto base_profile = load(base_name);
  if (!base_profile.ok()) return base_profile.error();

  Decision d;
  d.rule = "";
  d.why = "no rule matched: default_profile";
  d.mode = base_mode;
  d.profile = base_profile.value();
  for (const auto& r : set.rules) {
    const std::string head = r.where + " \"" + r.name + "\": ";
    std::string miss = Mismatch(r.match, facts);
    if (!miss.empty()) {
      d.skipped.push_back(head + miss);
      continue;
    }
    const Mode mode = r.has_mode ? r.mode : default_mode;
    if (&r != base && UsesUntrusted(set, r.match, facts)) {
      auto q = load(r.profile);
      if (!q.ok()) return q.error();
      std::string why;
      if (!AtMostAsPermissive(*q, *base_profile, &why)) {
        d.skipped.push_back(head + "matches untrusted labels/annotations, and profile \"" +
                            r.profile + "\" is not provably stricter than \"" + base_name + "\" (" +
                            why + "): ignored");
        d.ignored.push_back(d.skipped.back());
        continue;
      }
      if (Laxness(mode) > Laxness(base_mode)) {
        d.skipped.push_back(head + "matches untrusted labels/annotations, and mode " +
                            ModeName(mode) + " is laxer than " + ModeName(base_mode) + ": ignored");
        d.ignored.push_back(d.skipped.back());
        continue;
      }
      d.profile = std::move(q.value());
      d.why = "matched (on caller-supplied facts: it can only tighten)";
    } else {
      d.profile = base_profile.value();
      d.why = "matched";
    }
    d.rule = r.name;
    d.mode = mode;
    break;
  }
  for (const auto& e : set.exceptions) {
    if (!Mismatch(e.match, facts).empty() || UsesUntrusted(set, e.match, facts)) continue;
    if (now < e.until) {
      d.profile = Widen(std::move(d.profile), e.grants);
      d.applied.push_back(&e);
    } else {
      d.expired.push_back(&e);
    }
  }
  return d;
}

}  // namespace moat::rules
