#include "rules/rules.h"

#include <catch2/catch.hpp>
#include <map>

#include "base/json.h"
#include "base/time.h"
#include "tests/unit/launcher/test_host.h"

using moat::launcher::ParseProfile;
using moat::launcher::Profile;
using moat::rules::Decision;
using moat::rules::Evaluate;
using moat::rules::Facts;
using moat::rules::Mode;
using moat::rules::RuleSet;

namespace {

RuleSet Parse(const std::string& text) {
  auto doc = moat::json::Parse(text);
  REQUIRE(doc.ok());
  RuleSet set;
  auto st = moat::rules::ParseRuleSet(*doc, &set);
  INFO((st.ok() ? std::string() : st.error().Describe()));
  REQUIRE(st.ok());
  return set;
}

std::string ParseError(const std::string& text) {
  auto doc = moat::json::Parse(text);
  REQUIRE(doc.ok());
  RuleSet set;
  auto st = moat::rules::ParseRuleSet(*doc, &set);
  REQUIRE_FALSE(st.ok());
  return st.error().Describe();
}

Profile Shipped(const std::string& name) {
  auto p = ParseProfile(moat::testing::ReadSource("profiles/" + name + ".json"), name, name);
  REQUIRE(p.ok());
  return p.value();
}

// restricted and baseline from profiles/, "infra": restricted with host namespaces.
moat::rules::ProfileLoader Loader() {
  return [](const std::string& name) -> moat::Result<Profile> {
    if (name == "infra") {
      Profile p = Shipped("restricted");
      p.name = "infra";
      p.deny.host_namespaces = false;
      return p;
    }
    if (name == "restricted" || name == "baseline") return Shipped(name);
    return moat::Error{"no profile " + name};
  };
}

Facts Signed(const std::string& key) {
  Facts f;
  f.engine = "docker";
  f.image_id = "sha256:" + std::string(64, 'a');
  f.manifest_digests = {"sha256:" + std::string(64, 'b')};
  f.trusted = true;
  f.reference = "127.0.0.1:5000/infra/agent:1";
  f.repository = "127.0.0.1:5000/infra/agent";
  f.scope = "transports.docker[\"127.0.0.1:5000/infra\"]";
  f.signers = {{"signedBy", key}};
  return f;
}

const char* kInfra = R"({
  "rules": [
    {"name": "tighten-prod", "match": {"labels": {"tier": "prod"}}, "profile": "restricted"},
    {"name": "infra", "match": {"signer": {"type": "signedBy", "key": "ABCDEF0123"}},
     "profile": "infra"},
    {"name": "label-infra", "match": {"labels": {"moat.profile": "infra"}}, "profile": "infra"},
    {"name": "apps", "match": {"engine": "docker"}, "profile": "restricted", "mode": "warn"}
  ],
  "exceptions": [
    {"name": "agent-root", "match": {"digest": "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"},
     "grants": {"user": {"root": "allow"}, "capabilities": {"add": ["CAP_NET_ADMIN"]},
                "deny": {"host_paths": false}},
     "reason": "agent reads host logs", "ticket": "OPS-1", "until": "2030-01-01T00:00:00Z"}
  ]
})";

constexpr int64_t kBefore = 1893456000 - 10;  // 2029-12-31T23:59:50Z
constexpr int64_t kAfter = 1893456000;        // 2030-01-01T00:00:00Z

Decision Eval(const RuleSet& set, const Facts& f, int64_t now = kBefore) {
  auto d = Evaluate(set, f, now, Mode::kEnforce, "restricted", Loader());
  REQUIRE(d.ok());
  return d.value();
}

}  // namespace

TEST_CASE("rules: the signer, not the name, binds the infra profile") {
  RuleSet set = Parse(kInfra);
  Decision d = Eval(set, Signed("abcdef0123"));  // fingerprints compare case-insensitively
  CHECK(d.rule == "infra");
  CHECK(d.profile.name == "infra");
  CHECK_FALSE(d.profile.deny.host_namespaces);
  REQUIRE(d.skipped.size() == 1);
  CHECK(d.skipped[0].find("tighten-prod") != std::string::npos);
  CHECK(d.ignored.empty());  // it did not match: nothing was ignored

  // The same name, signed by another key, or not trusted at all.
  Decision other = Eval(set, Signed("0000"));
  CHECK(other.rule == "apps");
  CHECK(other.profile.name == "restricted");
  CHECK(other.mode == Mode::kWarn);
  Facts untrusted = Signed("ABCDEF0123");
  untrusted.trusted = false;
  untrusted.signers.clear();
  CHECK(Eval(set, untrusted).profile.name == "restricted");
}

TEST_CASE("rules: an untrusted label can tighten but never grant") {
  RuleSet set = Parse(kInfra);
  Facts f = Signed("0000");
  f.labels["moat.profile"] = "infra";
  Decision d = Eval(set, f);
  CHECK(d.rule == "apps");
  CHECK(d.profile.name == "restricted");
  bool said = false;
  for (const auto& s : d.skipped)
    said = said || s.find("not provably stricter") != std::string::npos;
  CHECK(said);
  REQUIRE(d.ignored.size() == 1);
  CHECK(d.ignored[0].find("\"label-infra\": matches untrusted labels/annotations") !=
        std::string::npos);

  // The infra image labelled prod: the stricter profile wins.
  Facts prod = Signed("ABCDEF0123");
  prod.labels["tier"] = "prod";
  Decision t = Eval(set, prod);
  CHECK(t.rule == "tighten-prod");
  CHECK(t.profile.name == "restricted");

  // Trusted for docker: the label rule grants.
  RuleSet trusted = Parse(std::string(kInfra).insert(
      1, R"("trusted_hints": [{"source": "labels", "engine": "docker"}],)"));
  CHECK(Eval(trusted, f).rule == "label-infra");
}

TEST_CASE("rules: an untrusted rule cannot relax the mode") {
  RuleSet set = Parse(R"({"rules": [
    {"name": "lax", "match": {"annotations": {"a": "b"}}, "profile": "restricted", "mode": "audit"},
    {"name": "all", "match": {}, "profile": "restricted"}]})");
  Facts f = Signed("x");
  f.annotations["a"] = "b";
  Decision d = Eval(set, f);
  CHECK(d.rule == "all");
  CHECK(d.mode == Mode::kEnforce);
  REQUIRE(d.ignored.size() == 1);
  CHECK(d.ignored[0].find("mode audit is laxer than enforce: ignored") != std::string::npos);
}

TEST_CASE("rules: exceptions widen until they expire") {
  RuleSet set = Parse(kInfra);
  Decision d = Eval(set, Signed("0000"), kBefore);
  REQUIRE(d.applied.size() == 1);
  CHECK(d.applied[0]->name == "agent-root");
  CHECK(d.profile.root == moat::launcher::RootPolicy::kAllow);
  CHECK(d.profile.Apply({}).count(12) == 1);  // CAP_NET_ADMIN
  CHECK_FALSE(d.profile.deny.host_paths);

  Decision late = Eval(set, Signed("0000"), kAfter);
  CHECK(late.applied.empty());
  REQUIRE(late.expired.size() == 1);
  CHECK(late.profile.root == moat::launcher::RootPolicy::kRemap);
  CHECK(late.profile.deny.host_paths);

  auto lint = moat::rules::LintRuleSet(set, kAfter);
  bool expired = false;
  for (const auto& l : lint) expired = expired || l.find("exceptions[0]") == 0;
  CHECK(expired);
}

TEST_CASE("rules: nothing matching gives default_profile") {
  RuleSet set = Parse(
      R"({"rules": [{"name": "pod", "match": {"engine": "podman"}, "profile": "baseline"}]})");
  Decision d = Eval(set, Signed("x"));
  CHECK(d.rule.empty());
  CHECK(d.profile.name == "restricted");
  REQUIRE(d.skipped.size() == 1);
  CHECK(d.skipped[0] == "rules[0] \"pod\": engine is \"docker\"");
}

TEST_CASE("rules: AtMostAsPermissive orders the shipped profiles") {
  Profile r = Shipped("restricted"), b = Shipped("baseline");
  std::string why;
  CHECK(moat::rules::AtMostAsPermissive(r, r, &why));
  // restricted installs its own seccomp filter, which replaces the engine's
  // that baseline keeps: not provably stricter, so not comparable.
  CHECK_FALSE(moat::rules::AtMostAsPermissive(r, b, &why));
  CHECK(why == "tmpfs");
  Profile tighter = r;
  tighter.root = moat::launcher::RootPolicy::kRefuse;
  *tighter.pids_limit = 10;
  tighter.deny.cgroup_namespace = true;
  CHECK(moat::rules::AtMostAsPermissive(tighter, r, &why));
  CHECK_FALSE(moat::rules::AtMostAsPermissive(r, tighter, &why));
  CHECK_FALSE(moat::rules::AtMostAsPermissive(b, r, &why));
  Profile more = r;
  more.add.insert(21);  // CAP_SYS_ADMIN
  CHECK_FALSE(moat::rules::AtMostAsPermissive(more, r, &why));
  CHECK(why.find("capabilities") == 0);
  Profile loose = r;
  loose.deny.engine_sockets = false;
  CHECK_FALSE(moat::rules::AtMostAsPermissive(loose, r, &why));
  // A host path grant the bound does not have, or has read-only, is more.
  Profile grants = r;
  grants.host_paths.push_back({"/srv/data", true});
  CHECK_FALSE(moat::rules::AtMostAsPermissive(grants, r, &why));
  CHECK(why == "host_paths /srv/data");
  Profile ro = r;
  ro.host_paths.push_back({"/srv/data", false});
  CHECK(moat::rules::AtMostAsPermissive(ro, grants, &why));
  CHECK_FALSE(moat::rules::AtMostAsPermissive(grants, ro, &why));
}

TEST_CASE("rules: an exception's host_paths grant widens the profile by that path only") {
  moat::rules::Grants g;
  g.host_paths.push_back({"/var/log/infra", false});
  Profile w = moat::rules::Widen(Shipped("restricted"), g);
  REQUIRE(w.host_paths.size() == 1);
  CHECK(w.host_paths[0].path == "/var/log/infra");
  CHECK_FALSE(w.host_paths[0].writable);
  CHECK(w.deny.host_paths);  // the rule stays; only the path is granted
}

TEST_CASE("rules: an exception grants one device, parsed in profile syntax") {
  RuleSet set = Parse(R"({"exceptions": [
    {"name": "disk-reader", "match": {"engine": "docker"},
     "grants": {"devices": [{"type": "b", "major": 8, "minor": 0, "access": "r"}]},
     "reason": "backup agent reads /dev/sda", "until": "2030-01-01T00:00:00Z"}]})");
  moat::rules::Facts f;
  f.engine = "docker";
  Decision d = Eval(set, f);
  REQUIRE(d.applied.size() == 1);
  REQUIRE(d.profile.devices.size() == 1);
  CHECK(d.profile.devices[0].number.type == 'b');
  CHECK(d.profile.devices[0].number.major == 8);
  CHECK(d.profile.devices[0].access == "r");
  CHECK(d.profile.deny.devices);  // the rule stays; only that device is granted
  // A device grant the bound lacks, or has with fewer letters, is more.
  Profile r = Shipped("restricted");
  std::string why;
  CHECK_FALSE(moat::rules::AtMostAsPermissive(d.profile, r, &why));
  CHECK(why == "devices block device 8:0");
  Profile rw = d.profile;
  rw.devices[0].access = "rw";
  CHECK(moat::rules::AtMostAsPermissive(d.profile, rw, &why));
  CHECK_FALSE(moat::rules::AtMostAsPermissive(rw, d.profile, &why));
  Profile lifted = r;
  lifted.deny.devices = false;
  CHECK_FALSE(moat::rules::AtMostAsPermissive(lifted, r, &why));
  CHECK(why == "deny");
}

TEST_CASE("rules: errors name the field") {
  auto e = GENERATE(table<std::string, std::string>({
      {R"({"rules": [{"name": "a", "match": {"engine": "lxc"}, "profile": "p"}]})",
       "rules[0].match.engine: \"lxc\""},
      {R"({"rules": [{"name": "a", "match": {}, "profile": "p", "mode": "loud"}]})",
       "rules[0].mode:"},
      {R"({"rules": [{"name": "a", "match": {}}]})", "rules[0].profile: missing"},
      {R"({"rules": [{"name": "a", "match": {}, "profile": "p"}, {"name": "a", "match": {}, "profile": "p"}]})",
       "rules[1].name: \"a\" is used twice"},
      {R"({"exceptions": [{"name": "x", "match": {"engine": "docker"}, "grants": {"deny": {"privileged": true}}, "reason": "r", "until": "2030-01-01T00:00:00Z"}]})",
       "exceptions[0].grants.deny.privileged"},
      {R"({"exceptions": [{"name": "x", "match": {"engine": "docker"}, "grants": {"capabilities": {"add": ["CAP_NOPE"]}}, "reason": "r", "until": "2030-01-01T00:00:00Z"}]})",
       "exceptions[0].grants: capabilities.add[0]"},
      {R"({"exceptions": [{"name": "x", "match": {"engine": "docker"}, "grants": {"user": {"root": "allow"}}, "until": "2030-01-01T00:00:00Z"}]})",
       "exceptions[0].reason: missing"},
      {R"({"exceptions": [{"name": "x", "match": {"engine": "docker"}, "grants": {"user": {"root": "allow"}}, "reason": "r", "until": "soon"}]})",
       "exceptions[0].until"},
      {R"({"exceptions": [{"name": "x", "match": {}, "grants": {"user": {"root": "allow"}}, "reason": "r", "until": "2030-01-01T00:00:00Z"}]})",
       "exceptions[0].match: an exception must select something"},
      {R"({"trusted_hints": [{"source": "labels", "engine": "docker", "containerd_namespace": "k8s.io"}]})",
       "trusted_hints[0].containerd_namespace"},
  }));
  INFO(std::get<0>(e));
  CHECK_THAT(ParseError(std::get<0>(e)), Catch::Contains(std::get<1>(e)));
}
