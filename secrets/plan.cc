#include "secrets/plan.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <cstdio>

#include "base/creator.h"
#include "base/json_read.h"
#include "launcher/host.h"
#include "secrets/store.h"
#include "verify/common/reference.h"
#include "verify/common/scope.h"

namespace moat::secrets {

using json::Value;

namespace {

// Does the name the policy accepted fall under one of `scopes`?
Result<bool> ImageInScopes(const std::vector<std::string>& scopes, const std::string& at,
                           const verify::TrustDecision& trust) {
  for (size_t i = 0; i < scopes.size(); ++i) {
    Status valid = verify::ValidateDockerScope(scopes[i]);
    if (!valid.ok()) {
      return valid.error().Wrap(json::Index(at, i) + ": \"" + scopes[i] + "\"");
    }
  }
  if (!trust.allow || trust.reference.empty()) return false;
  auto ref = verify::ParseNormalizedNamed(trust.reference);
  if (!ref.ok()) return false;
  for (const auto& s : verify::DockerScopes(*ref)) {
    if (std::find(scopes.begin(), scopes.end(), s) != scopes.end()) return true;
  }
  return false;
}

// Maps a container id to the host through linux.uidMappings / gidMappings.
Result<uint32_t> MapId(const Value& config, const char* key, uint32_t id) {
  const Value* linux = config.Find("linux");
  const Value* maps = linux != nullptr ? linux->Find(key) : nullptr;
  if (maps == nullptr || maps->is_null()) return id;
  const std::string path = std::string("linux.") + key;
  MOAT_TRY(json::ExpectType(*maps, json::Type::kArray, path));
  if (maps->items().empty()) return id;
  for (size_t i = 0; i < maps->items().size(); ++i) {
    const Value& m = maps->items()[i];
    const std::string at = json::Index(path, i);
    int64_t v[3] = {0, 0, 0};
    const char* fields[3] = {"containerID", "hostID", "size"};
    for (int f = 0; f < 3; ++f) {
      const Value* n = m.Find(fields[f]);
      if (n == nullptr) return Error{json::Field(at, fields[f]) + ": missing"};
      MOAT_ASSIGN_OR_RETURN(v[f], json::ReadInt(*n, json::Field(at, fields[f]), 0, UINT32_MAX));
    }
    if (id >= v[0] && id - v[0] < v[2]) return static_cast<uint32_t>(v[1] + (id - v[0]));
  }
  return Error{path + ": id " + std::to_string(id) + " is not mapped"};
}

std::string ModeText(uint32_t mode) {
  char buf[8];
  (void)std::snprintf(buf, sizeof buf, "%04o", mode);
  return buf;
}

// RFC 3629 UTF-8, without NUL: what process.env can carry through JSON.
bool EnvSafe(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (c == 0 || n == 0 || i + n > s.size() || (n == 2 && c < 0xC2) || c > 0xF4) return false;
    uint32_t cp = n == 1 ? c : c & (0x7F >> n);
    for (size_t k = 1; k < n; ++k) {
      auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF))
      return false;
    i += n;
  }
  return true;
}

bool IsUnder(const std::string& path, const std::string& dir) {
  if (dir == "/") return true;
  return path == dir || path.rfind(dir + "/", 0) == 0;
}

bool IsBindMount(const Value& m) {
  if (const Value* t = m.Find("type"); t != nullptr && t->is_string() && t->text() == "bind")
    return true;
  const Value* o = m.Find("options");
  if (o == nullptr || !o->is_array()) return false;
  return std::any_of(o->items().begin(), o->items().end(), [](const Value& v) {
    return v.is_string() && (v.text() == "bind" || v.text() == "rbind");
  });
}

}  // namespace

Status CheckSecretExposure(const SecretSettings& settings, const std::string& state_dir,
                           const Value& spec, std::vector<std::string>* denials) {
  if (settings.stores.empty()) return Status::Ok();
  const Value* mounts = spec.Find("mounts");
  if (mounts == nullptr || !mounts->is_array()) return Status::Ok();
  launcher::HostSystem host;
  std::vector<std::pair<std::string, std::string>> guarded = {
      {host.RealPath(state_dir + "/secrets"), "moat's secrets directory"}};
  for (const auto& [name, store] : settings.stores) {
    guarded.emplace_back(host.RealPath(store.path), "secret store \"" + name + "\"");
    if (!store.key.empty())
      guarded.emplace_back(host.RealPath(store.key), "the key of secret store \"" + name + "\"");
  }
  for (size_t i = 0; i < mounts->items().size(); ++i) {
    const Value& m = mounts->items()[i];
    const Value* src = m.Find("source");
    if (!IsBindMount(m) || src == nullptr || !src->is_string()) continue;
    const std::string real = host.RealPath(src->text());
    for (const auto& [path, what] : guarded) {
      if (IsUnder(real, path) || IsUnder(path, real)) {
        denials->push_back(json::Index("mounts", i) + ": bind mount of " + src->text() +
                           " exposes " + what + " (" + path + ")");
      }
    }
  }
  return Status::Ok();
}

bool SecretPlan::NeedsDir() const {
  return std::any_of(items.begin(), items.end(), [](const auto& i) { return !i.target.empty(); });
}

bool SecretPlan::HasEnv() const {
  return std::any_of(items.begin(), items.end(), [](const auto& i) { return !i.env.empty(); });
}

Result<SecretPlan> PlanSecrets(const SecretSettings& settings, const std::string& state_dir,
                               const std::string& id, const launcher::Profile& profile,
                               const verify::TrustDecision& trust) {
  SecretPlan plan;
  if (profile.secrets.empty()) return plan;
  if (!ValidContainerId(id)) return Error{"container id \"" + id + "\" is not valid"};
  plan.dir = state_dir + "/secrets/" + id;
  const std::string where = "profile \"" + profile.name + "\": ";
  for (size_t i = 0; i < profile.secrets.size(); ++i) {
    const launcher::SecretRef& r = profile.secrets[i];
    const std::string at = json::Index("secrets", i);
    if (settings.stores.count(r.store) == 0) {
      return Error{where + at + ".store: \"" + r.store + "\" is not in " + settings.file +
                   "'s secret_stores"};
    }
    if (!r.images.empty()) {
      auto in = ImageInScopes(r.images, at + ".images", trust);
      if (!in.ok()) return in.error().Wrap(where.substr(0, where.size() - 2));
      if (!*in) continue;
    }
    SecretItem item;
    item.store = r.store;
    item.name = r.name;
    item.target = r.target;
    item.env = r.env;
    item.uid = r.uid;
    item.gid = r.gid;
    item.mode = r.mode;
    item.file = std::to_string(plan.items.size());
    plan.items.push_back(std::move(item));
  }
  return plan;
}

Result<std::pair<uint32_t, uint32_t>> ProcessIds(const Value& config) {
  uint32_t ids[2] = {0, 0};
  const Value* process = config.Find("process");
  const Value* user = process != nullptr ? process->Find("user") : nullptr;
  const char* keys[2] = {"uid", "gid"};
  for (int k = 0; k < 2; ++k) {
    const Value* v = user != nullptr ? user->Find(keys[k]) : nullptr;
    if (v == nullptr || v->is_null()) continue;
    MOAT_ASSIGN_OR_RETURN(auto n,
                          json::ReadInt(*v, std::string("process.user.") + keys[k], 0, UINT32_MAX));
    ids[k] = static_cast<uint32_t>(n);
  }
  return std::pair<uint32_t, uint32_t>(ids[0], ids[1]);
}

Status ResolveSecretOwners(SecretPlan* plan, const Value& config, uint32_t uid, uint32_t gid) {
  for (auto& item : plan->items) {
    auto u = MapId(config, "uidMappings", item.uid.value_or(uid));
    if (!u.ok()) return u.error().Wrap("secret \"" + item.Label() + "\": owner");
    auto g = MapId(config, "gidMappings", item.gid.value_or(gid));
    if (!g.ok()) return g.error().Wrap("secret \"" + item.Label() + "\": group");
    item.host_uid = *u;
    item.host_gid = *g;
  }
  return Status::Ok();
}

Status AddSecretMounts(const SecretPlan& plan, Value* config, std::vector<std::string>* changes,
                       std::vector<std::string>* denials) {
  if (!plan.NeedsDir()) {
    for (const auto& item : plan.items)
      changes->push_back("process.env: " + item.env + " from secret \"" + item.Label() + "\"");
    return Status::Ok();
  }
  Value* mounts = config->Find("mounts");
  if (mounts == nullptr || mounts->is_null()) mounts = &config->Set("mounts", Value::Array());
  MOAT_TRY(json::ExpectType(*mounts, json::Type::kArray, "mounts"));
  for (const auto& item : plan.items) {
    if (item.target.empty()) {
      changes->push_back("process.env: " + item.env + " from secret \"" + item.Label() + "\"");
      continue;
    }
    for (size_t i = 0; i < mounts->items().size(); ++i) {
      const Value* d = mounts->items()[i].Find("destination");
      if (d != nullptr && d->is_string() && launcher::CleanPath(d->text()) == item.target) {
        denials->push_back(json::Index("mounts", i) + ": " + item.target + " is where secret \"" +
                           item.Label() + "\" goes");
      }
    }
    Value m = Value::Object();
    m.Set("destination", Value::String(item.target));
    m.Set("type", Value::String("bind"));
    m.Set("source", Value::String(plan.dir + "/fs/" + item.file));
    Value opts = Value::Array();
    for (const char* o : {"bind", "ro", "nosuid", "nodev", "noexec"}) opts.Append(Value::String(o));
    m.Set("options", std::move(opts));
    mounts->Append(std::move(m));
    changes->push_back("mounts: secret \"" + item.Label() + "\" at " + item.target + " (uid " +
                       std::to_string(item.host_uid) + ", gid " + std::to_string(item.host_gid) +
                       ", mode " + ModeText(item.mode) + ", read-only)" +
                       (item.env.empty() ? "" : ", and process.env " + item.env));
  }
  return Status::Ok();
}

Result<std::vector<SecretBytes>> LoadSecrets(const SecretSettings& settings,
                                             const SecretPlan& plan) {
  std::vector<SecretBytes> values;
  values.reserve(plan.items.size());
  for (const auto& item : plan.items) {
    auto store = settings.stores.find(item.store);
    if (store == settings.stores.end()) {
      return Error{"secret \"" + item.Label() + "\": no store \"" + item.store + "\""};
    }
    auto v = ReadStoreSecret(item.store, store->second, item.name, settings.max_bytes);
    if (!v.ok()) return v.error();
    if (!item.env.empty() && !EnvSafe(v->view())) {
      return Error{"secret \"" + item.Label() +
                   "\": holds a NUL byte or invalid UTF-8, so it cannot go into process.env"};
    }
    values.push_back(std::move(v.value()));
  }
  return values;
}

std::vector<std::string> SecretEnvWarnings(const SecretPlan& plan) {
  std::vector<std::string> out;
  for (const auto& item : plan.items) {
    if (item.env.empty()) continue;
    out.push_back("secret \"" + item.Label() + "\" is in process.env as " + item.env +
                  " (profile opt-in): its value is in config.json and in the process's "
                  "environment");
  }
  return out;
}

Status AddSecretEnv(const SecretPlan& plan, const std::vector<SecretBytes>& values, Value* config) {
  if (!plan.HasEnv()) return Status::Ok();
  Value* process = config->Find("process");
  if (process == nullptr || !process->is_object()) return Error{"process: missing"};
  Value* env = process->Find("env");
  if (env == nullptr || env->is_null()) env = &process->Set("env", Value::Array());
  MOAT_TRY(json::ExpectType(*env, json::Type::kArray, "process.env"));
  for (size_t i = 0; i < plan.items.size() && i < values.size(); ++i) {
    const SecretItem& item = plan.items[i];
    if (item.env.empty()) continue;
    const std::string prefix = item.env + "=";
    auto& items = env->items();
    items.erase(std::remove_if(items.begin(), items.end(),
                               [&](const Value& e) {
                                 return e.is_string() && e.text().rfind(prefix, 0) == 0;
                               }),
                items.end());
    std::string entry;
    entry.reserve(prefix.size() + values[i].size());
    entry += prefix;
    entry.append(values[i].view());
    env->Append(Value::String(std::move(entry)));
  }
  return Status::Ok();
}

void WipeSecretEnv(const SecretPlan& plan, Value* config) {
  Value* process = config->Find("process");
  Value* env = process != nullptr ? process->Find("env") : nullptr;
  if (env == nullptr || !env->is_array()) return;
  for (const auto& item : plan.items) {
    if (item.env.empty()) continue;
    for (auto& e : env->items()) {
      if (!e.is_string() || e.text().rfind(item.env + "=", 0) != 0) continue;
      // The Value's text is only reachable as const; wipe it in place.
      auto& text = const_cast<std::string&>(e.text());
      OPENSSL_cleanse(text.data(), text.size());
      text.clear();
    }
  }
}

}  // namespace moat::secrets
