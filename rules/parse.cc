// moat.conf's rules, exceptions and trusted_hints (man/moat-rules.5).
#include <set>

#include "base/json_read.h"
#include "base/time.h"
#include "rules/rules.h"

namespace moat::rules {

const char* ModeName(Mode m) {
  switch (m) {
    case Mode::kEnforce:
      return "enforce";
    case Mode::kAudit:
      return "audit";
    case Mode::kWarn:
      return "warn";
  }
  return "enforce";
}

namespace {

using json::Value;

// A string or a non-empty array of non-empty strings.
Status ReadStrings(const Value& v, const std::string& path, std::vector<std::string>* out) {
  if (v.is_string()) {
    if (v.text().empty()) return Error{path + ": empty"};
    out->push_back(v.text());
    return Status::Ok();
  }
  auto list = json::ReadStringArray(v, path);
  if (!list.ok()) return list.error();
  if (list->empty()) return Error{path + ": an empty list matches nothing"};
  for (size_t i = 0; i < list->size(); ++i) {
    if ((*list)[i].empty()) return Error{json::Index(path, i) + ": empty"};
  }
  *out = std::move(list.value());
  return Status::Ok();
}

Status ReadPairs(const Value& v, const std::string& path,
                 std::vector<std::pair<std::string, std::string>>* out) {
  MOAT_TRY(json::ExpectType(v, json::Type::kObject, path));
  if (v.members().empty()) return Error{path + ": empty"};
  for (const auto& m : v.members()) {
    MOAT_ASSIGN_OR_RETURN(auto s, json::ReadString(m.second, path + "." + m.first));
    out->emplace_back(m.first, s);
  }
  return Status::Ok();
}

Status ReadSelector(const Value& v, const std::string& path, Selector* s) {
  MOAT_TRY(json::CheckObject(v, path,
                             {"engine", "containerd_namespace", "repository", "scope", "digest",
                              "verdict", "signer", "labels", "annotations"}));
  struct {
    const char* key;
    std::vector<std::string>* field;
  } lists[] = {{"engine", &s->engine},         {"containerd_namespace", &s->containerd_namespace},
               {"repository", &s->repository}, {"scope", &s->scope},
               {"digest", &s->digest},         {"verdict", &s->verdict}};
  for (auto& l : lists) {
    if (const Value* f = v.Find(l.key)) MOAT_TRY(ReadStrings(*f, path + "." + l.key, l.field));
  }
  for (const auto& e : s->engine) {
    if (e != "docker" && e != "containerd" && e != "podman" && e != "oci-layout") {
      return Error{path + ".engine: \"" + e +
                   "\" is not one of docker, containerd, podman, oci-layout"};
    }
  }
  for (const auto& c : s->verdict) {
    if (c != "clean" && c != "allowlisted" && c != "not-required" && c != "unchecked" &&
        c != "missing" && c != "fail") {
      return Error{path + ".verdict: \"" + c +
                   "\" is not one of clean, allowlisted, not-required, unchecked, missing, fail"};
    }
  }
  if (const Value* sg = v.Find("signer")) {
    const std::string sp = path + ".signer";
    MOAT_TRY(json::CheckObject(*sg, sp, {"type", "key"}));
    s->has_signer = true;
    if (const Value* t = sg->Find("type")) MOAT_TRY(ReadStrings(*t, sp + ".type", &s->signer_type));
    for (const auto& t : s->signer_type) {
      if (t != "signedBy" && t != "sigstoreSigned")
        return Error{sp + ".type: \"" + t + "\" is not one of signedBy, sigstoreSigned"};
    }
    if (const Value* k = sg->Find("key")) MOAT_TRY(ReadStrings(*k, sp + ".key", &s->signer_key));
  }
  if (const Value* l = v.Find("labels")) MOAT_TRY(ReadPairs(*l, path + ".labels", &s->labels));
  if (const Value* a = v.Find("annotations"))
    MOAT_TRY(ReadPairs(*a, path + ".annotations", &s->annotations));
  return Status::Ok();
}

Result<std::string> ReadName(const Value& item, const std::string& path,
                             std::set<std::string>* seen) {
  const Value* n = item.Find("name");
  if (n == nullptr) return Error{path + ".name: missing"};
  auto s = json::ReadString(*n, path + ".name");
  if (!s.ok()) return s.error();
  if (s->empty() || s->size() > 128) return Error{path + ".name: empty or over 128 bytes"};
  if (s.value() == "default") return Error{path + ".name: \"default\" names default_profile"};
  if (!seen->insert(*s).second) return Error{path + ".name: \"" + *s + "\" is used twice"};
  return s;
}

Status ReadRule(const Value& item, const std::string& path, std::set<std::string>* seen, Rule* r) {
  MOAT_TRY(json::CheckObject(item, path, {"name", "match", "profile", "mode"}));
  r->where = path;
  MOAT_ASSIGN_OR_RETURN(r->name, ReadName(item, path, seen));
  const Value* m = item.Find("match");
  if (m == nullptr) return Error{path + ".match: missing (use {} to match every container)"};
  MOAT_TRY(ReadSelector(*m, path + ".match", &r->match));
  MOAT_ASSIGN_OR_RETURN(r->profile, json::ReadNonEmptyMember(item, "profile", path));
  if (const Value* md = item.Find("mode")) {
    MOAT_ASSIGN_OR_RETURN(auto s, json::ReadString(*md, path + ".mode"));
    r->has_mode = true;
    if (s == "enforce") {
      r->mode = Mode::kEnforce;
    } else if (s == "warn") {
      r->mode = Mode::kWarn;
    } else if (s == "audit") {
      r->mode = Mode::kAudit;
    } else {
      return Error{path + ".mode: \"" + s + "\" is not one of enforce, warn, audit"};
    }
  }
  return Status::Ok();
}

Status ReadGrants(const Value& v, const std::string& path, Grants* g) {
  MOAT_TRY(json::CheckObject(v, path, {"capabilities", "user", "deny", "host_paths", "devices"}));
  if (v.members().empty()) return Error{path + ": grants nothing"};
  if (const Value* c = v.Find("capabilities"))
    MOAT_TRY(json::CheckObject(*c, path + ".capabilities", {"add"}));
  if (const Value* u = v.Find("user")) {
    MOAT_TRY(json::CheckObject(*u, path + ".user", {"root"}));
    if (const Value* r = u->Find("root")) {
      if (r->is_string() && r->text() == "refuse")
        return Error{path + ".user.root: \"refuse\" grants nothing"};
      g->root_set = true;
    }
  }
  if (const Value* d = v.Find("deny")) {
    MOAT_TRY(json::ExpectType(*d, json::Type::kObject, path + ".deny"));
    for (const auto& m : d->members()) {
      if (m.second.is_bool() && m.second.bool_value()) {
        return Error{path + ".deny." + m.first + ": an exception lifts deny rules (false only)"};
      }
      g->lifted.push_back(m.first);
    }
  }
  // The profile parser reads the fragment, so its names and values are the
  // profile format's.
  g->text = json::Serialize(v);
  MOAT_ASSIGN_OR_RETURN(auto p, launcher::ParseProfile(g->text, "grants", path));
  g->caps = p.add;
  g->root = p.root;
  g->host_paths = p.host_paths;
  g->devices = p.devices;
  return Status::Ok();
}

Status ReadException(const Value& item, const std::string& path, std::set<std::string>* seen,
                     Exception* e) {
  MOAT_TRY(json::CheckObject(item, path, {"name", "match", "grants", "reason", "ticket", "until"}));
  e->where = path;
  MOAT_ASSIGN_OR_RETURN(e->name, ReadName(item, path, seen));
  const Value* m = item.Find("match");
  if (m == nullptr) return Error{path + ".match: missing"};
  MOAT_TRY(ReadSelector(*m, path + ".match", &e->match));
  if (m->members().empty()) return Error{path + ".match: an exception must select something"};
  const Value* g = item.Find("grants");
  if (g == nullptr) return Error{path + ".grants: missing"};
  MOAT_TRY(ReadGrants(*g, path + ".grants", &e->grants));
  MOAT_ASSIGN_OR_RETURN(e->reason, json::ReadNonEmptyMember(item, "reason", path));
  if (const Value* t = item.Find("ticket")) {
    MOAT_ASSIGN_OR_RETURN(e->ticket, json::ReadString(*t, path + ".ticket"));
  }
  MOAT_ASSIGN_OR_RETURN(std::string until, json::ReadNonEmptyMember(item, "until", path));
  auto t = ParseRfc3339(until);
  if (!t.ok()) return t.error().Wrap(path + ".until");
  e->until = *t;
  return Status::Ok();
}

Status ReadHint(const Value& item, const std::string& path, TrustedHint* h) {
  MOAT_TRY(json::CheckObject(item, path, {"source", "engine", "containerd_namespace"}));
  h->where = path;
  MOAT_ASSIGN_OR_RETURN(h->source, json::ReadNonEmptyMember(item, "source", path));
  if (h->source != "labels" && h->source != "annotations")
    return Error{path + ".source: \"" + h->source + "\" is not one of labels, annotations"};
  MOAT_ASSIGN_OR_RETURN(h->engine, json::ReadNonEmptyMember(item, "engine", path));
  if (h->engine != "docker" && h->engine != "containerd" && h->engine != "podman")
    return Error{path + ".engine: \"" + h->engine + "\" is not one of docker, containerd, podman"};
  if (item.Find("containerd_namespace") != nullptr) {
    if (h->engine != "containerd")
      return Error{path + ".containerd_namespace: only for engine containerd"};
    MOAT_ASSIGN_OR_RETURN(h->containerd_namespace,
                          json::ReadNonEmptyMember(item, "containerd_namespace", path));
  }
  return Status::Ok();
}

template <typename T, typename F>
Status ReadList(const Value& conf, const char* key, std::vector<T>* out, F read) {
  const Value* list = conf.Find(key);
  if (list == nullptr) return Status::Ok();
  MOAT_TRY(json::ExpectType(*list, json::Type::kArray, key));
  for (size_t i = 0; i < list->items().size(); ++i) {
    T item;
    MOAT_TRY(read(list->items()[i], json::Index(key, i), &item));
    out->push_back(std::move(item));
  }
  return Status::Ok();
}

}  // namespace

Status ParseRuleSet(const json::Value& conf, RuleSet* out) {
  std::set<std::string> rule_names, exception_names;
  MOAT_TRY(ReadList(conf, "rules", &out->rules, [&](const Value& v, const std::string& p, Rule* r) {
    return ReadRule(v, p, &rule_names, r);
  }));
  MOAT_TRY(ReadList(conf, "exceptions", &out->exceptions,
                    [&](const Value& v, const std::string& p, Exception* e) {
                      return ReadException(v, p, &exception_names, e);
                    }));
  return ReadList(conf, "trusted_hints", &out->trusted_hints, ReadHint);
}

std::vector<std::string> LintRuleSet(const RuleSet& set, int64_t now) {
  std::vector<std::string> out;
  for (const auto& e : set.exceptions) {
    if (now >= e.until) {
      out.push_back(e.where + " (\"" + e.name + "\"): expired at " + FormatRfc3339(e.until) +
                    ": it grants nothing any more");
    }
    if (e.match.UsesHints()) {
      out.push_back(e.where + " (\"" + e.name +
                    "\"): matches labels or annotations: it applies only where trusted_hints "
                    "trusts them");
    }
  }
  for (size_t i = 0; i < set.rules.size(); ++i) {
    const Rule& r = set.rules[i];
    if (r.match.UsesHints()) {
      out.push_back(r.where + " (\"" + r.name +
                    "\"): matches labels or annotations: where trusted_hints does not trust "
                    "them it can only make things stricter");
    }
    const Selector& s = r.match;
    bool all = s.engine.empty() && s.containerd_namespace.empty() && s.repository.empty() &&
               s.scope.empty() && s.digest.empty() && s.verdict.empty() && !s.has_signer &&
               !s.UsesHints();
    if (all && i + 1 < set.rules.size()) {
      out.push_back(r.where + " (\"" + r.name + "\"): matches every container: " +
                    set.rules[i + 1].where + " and later rules are never reached");
    }
  }
  return out;
}

}  // namespace moat::rules
