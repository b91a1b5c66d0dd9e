#include "launcher/secret_spec.h"

#include <set>

#include "base/json_read.h"

namespace moat::launcher {

namespace {

using json::Value;

bool NameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-' || c == '.';
}

// Not empty, not "." or ".." (nor any other all-dots name).
bool ValidComponent(const std::string& c) {
  if (c.find_first_not_of('.') == std::string::npos) return false;
  for (char ch : c)
    if (!NameChar(ch)) return false;
  return true;
}

std::vector<std::string> SplitSlash(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    size_t slash = s.find('/', start);
    out.push_back(s.substr(start, slash - start));
    if (slash == std::string::npos) return out;
    start = slash + 1;
  }
}

bool Under(const std::string& path, const std::string& dir) {
  return path == dir || path.rfind(dir + "/", 0) == 0;
}

Status CheckTarget(const std::string& t, const std::string& path) {
  const std::string bad = path + ": \"" + t + "\" ";
  if (t.size() < 2 || t[0] != '/' || t.size() > 4096) {
    return Error{bad + "must be an absolute path other than /"};
  }
  auto parts = SplitSlash(t.substr(1));
  for (const auto& p : parts) {
    if (p.find_first_not_of('.') == std::string::npos)
      return Error{bad + "must be a clean path (no \".\", \"..\", \"//\" or trailing /)"};
  }
  for (const char* dir : {"/proc", "/sys", "/dev"}) {
    if (Under(t, dir)) return Error{bad + "is under " + dir + ", which the runtime owns"};
  }
  return Status::Ok();
}

bool ValidEnvName(const std::string& s) {
  if (s.empty() || s.size() > 255 || (s[0] >= '0' && s[0] <= '9')) return false;
  for (char c : s) {
    bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

Result<std::string> ReadField(const Value& item, const std::string& path, const char* key,
                              bool required) {
  const Value* v = item.Find(key);
  if (v == nullptr) {
    if (required) return Error{json::Field(path, key) + ": missing"};
    return std::string();
  }
  return json::ReadString(*v, json::Field(path, key));
}

Result<SecretRef> ReadOne(const Value& item, const std::string& path) {
  MOAT_TRY(json::CheckObject(item, path,
                             {"store", "name", "target", "uid", "gid", "mode", "env", "images"}));
  SecretRef r;
  MOAT_ASSIGN_OR_RETURN(auto store, ReadField(item, path, "store", true));
  if (!ValidStoreName(store)) return Error{path + ".store: \"" + store + "\" is not a store name"};
  r.store = store;
  MOAT_ASSIGN_OR_RETURN(auto name, ReadField(item, path, "name", true));
  if (!ValidSecretName(name)) {
    return Error{path + ".name: \"" + name +
                 "\" is not a secret name (relative path of letters, digits, _ - .)"};
  }
  r.name = name;
  MOAT_ASSIGN_OR_RETURN(auto target, ReadField(item, path, "target", false));
  MOAT_ASSIGN_OR_RETURN(auto env, ReadField(item, path, "env", false));
  if (target.empty() && env.empty()) return Error{path + ": needs a target (or env)"};
  if (!target.empty() || item.Find("target") != nullptr)
    MOAT_TRY(CheckTarget(target, path + ".target"));
  r.target = target;
  if (item.Find("env") != nullptr && !ValidEnvName(env)) {
    return Error{path + ".env: \"" + env + "\" is not an environment variable name"};
  }
  r.env = env;
  for (const char* key : {"uid", "gid"}) {
    const Value* id = item.Find(key);
    if (id == nullptr) continue;
    MOAT_ASSIGN_OR_RETURN(auto n, json::ReadInt(*id, json::Field(path, key), 0, 4294967294LL));
    (key[0] == 'u' ? r.uid : r.gid) = static_cast<uint32_t>(n);
  }
  if (const Value* m = item.Find("mode")) {
    MOAT_ASSIGN_OR_RETURN(auto s, json::ReadString(*m, path + ".mode"));
    bool octal = (s.size() == 3 || s.size() == 4) && (s.size() == 3 || s[0] == '0');
    for (char c : s) octal = octal && c >= '0' && c <= '7';
    if (!octal) return Error{path + ".mode: \"" + s + "\" is not an octal mode like \"0440\""};
    r.mode = static_cast<uint32_t>(std::stoul(s, nullptr, 8));
  }
  if (const Value* i = item.Find("images")) {
    MOAT_ASSIGN_OR_RETURN(auto scopes, json::ReadStringArray(*i, path + ".images"));
    if (scopes.empty()) return Error{path + ".images: empty (leave it out to mean every image)"};
    r.images = scopes;
  }
  return r;
}

}  // namespace

bool ValidStoreName(const std::string& s) {
  return !s.empty() && s.size() <= 64 && s[0] != '.' && ValidComponent(s);
}

bool ValidSecretName(const std::string& s) {
  if (s.empty() || s.size() > 255) return false;
  auto parts = SplitSlash(s);
  if (parts.size() > 8) return false;
  for (const auto& p : parts)
    if (!ValidComponent(p)) return false;
  return true;
}

Status ReadSecretRefs(const Value& v, const std::string& path, std::vector<SecretRef>* out) {
  MOAT_TRY(json::ExpectType(v, json::Type::kArray, path));
  std::set<std::string> targets, envs;
  for (size_t i = 0; i < v.items().size(); ++i) {
    const std::string at = json::Index(path, i);
    auto r = ReadOne(v.items()[i], at);
    if (!r.ok()) return r.error();
    if (!r->target.empty() && !targets.insert(r->target).second)
      return Error{at + ".target: \"" + r->target + "\" is given twice"};
    if (!r->env.empty() && !envs.insert(r->env).second)
      return Error{at + ".env: \"" + r->env + "\" is given twice"};
    out->push_back(std::move(r.value()));
  }
  return Status::Ok();
}

}  // namespace moat::launcher
