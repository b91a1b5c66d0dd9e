#include "shim/config.h"

#include <cstdlib>

#include "base/fs.h"
#include "base/json.h"
#include "base/json_read.h"
#include "secrets/store.h"

namespace moat::shim {

namespace {

Status ReadAbsolutePath(const json::Value& doc, const char* key, std::string* out) {
  const json::Value* v = doc.Find(key);
  if (v == nullptr) return Status::Ok();
  MOAT_ASSIGN_OR_RETURN(*out, json::ReadAbsolutePath(*v, key));
  return Status::Ok();
}

Status ReadConfig(const json::Value& doc, Config* c) {
  MOAT_TRY(json::CheckObject(
      doc, "",
      {"runtime",          "mode",        "profiles_dir",   "default_profile", "audit_log",
       "state_dir",        "policy",      "registries_d",   "docker_root",     "containerd_root",
       "containerd_state", "podman_root", "podman_runroot", "kubelet_root",    "secret_stores",
       "secret_max_bytes", "verdicts",    "rules",          "exceptions",      "trusted_hints",
       "fetch_on_miss"}));
  if (doc.Find("runtime") == nullptr)
    return Error{"runtime: missing (the absolute path of runc or crun)"};
  MOAT_TRY(ReadAbsolutePath(doc, "runtime", &c->runtime));
  MOAT_TRY(ReadAbsolutePath(doc, "profiles_dir", &c->profiles_dir));
  MOAT_TRY(ReadAbsolutePath(doc, "audit_log", &c->audit_log));
  MOAT_TRY(ReadAbsolutePath(doc, "state_dir", &c->state_dir));
  MOAT_TRY(ReadAbsolutePath(doc, "policy", &c->policy));
  MOAT_TRY(ReadAbsolutePath(doc, "registries_d", &c->registries_d));
  MOAT_TRY(ReadAbsolutePath(doc, "docker_root", &c->docker_root));
  MOAT_TRY(ReadAbsolutePath(doc, "containerd_root", &c->containerd_root));
  MOAT_TRY(ReadAbsolutePath(doc, "containerd_state", &c->containerd_state));
  MOAT_TRY(ReadAbsolutePath(doc, "podman_root", &c->podman_root));
  MOAT_TRY(ReadAbsolutePath(doc, "podman_runroot", &c->podman_runroot));
  MOAT_TRY(ReadAbsolutePath(doc, "kubelet_root", &c->kubelet_root));
  if (const json::Value* s = doc.Find("secret_stores"))
    MOAT_TRY(secrets::ReadSecretStores(*s, "secret_stores", &c->secrets.stores));
  if (const json::Value* n = doc.Find("secret_max_bytes")) {
    MOAT_ASSIGN_OR_RETURN(auto max, json::ReadInt(*n, "secret_max_bytes", 1, int64_t{64} << 20));
    c->secrets.max_bytes = static_cast<uint64_t>(max);
  }
  if (const json::Value* m = doc.Find("mode")) {
    MOAT_ASSIGN_OR_RETURN(auto s, json::ReadString(*m, "mode"));
    if (s == "enforce") {
      c->mode = Mode::kEnforce;
    } else if (s == "audit") {
      c->mode = Mode::kAudit;
    } else {
      return Error{"mode: \"" + s + "\" is not one of enforce, audit"};
    }
  }
  if (const json::Value* v = doc.Find("verdicts")) {
    auto verdicts = verify::ParseVerdictConfig(*v, "verdicts");
    if (!verdicts.ok()) return verdicts.error();
    c->verdicts = std::move(verdicts.value());
  }
  if (const json::Value* f = doc.Find("fetch_on_miss")) {
    MOAT_TRY(json::CheckObject(*f, "fetch_on_miss", {"enabled", "timeout_ms", "moat"}));
    if (const json::Value* e = f->Find("enabled")) {
      MOAT_ASSIGN_OR_RETURN(c->fetch_on_miss.enabled, json::ReadBool(*e, "fetch_on_miss.enabled"));
    }
    if (const json::Value* t = f->Find("timeout_ms")) {
      MOAT_ASSIGN_OR_RETURN(c->fetch_on_miss.timeout_ms,
                            json::ReadInt(*t, "fetch_on_miss.timeout_ms", 100, 60000));
    }
    if (const json::Value* m = f->Find("moat")) {
      MOAT_ASSIGN_OR_RETURN(c->fetch_on_miss.moat,
                            json::ReadAbsolutePath(*m, "fetch_on_miss.moat"));
    }
  }
  MOAT_TRY(rules::ParseRuleSet(doc, &c->rules));
  if (const json::Value* p = doc.Find("default_profile")) {
    MOAT_ASSIGN_OR_RETURN(c->default_profile, json::ReadString(*p, "default_profile"));
  }
  return Status::Ok();
}

}  // namespace

std::vector<std::string> EngineRoots(const Config& c, const std::string& id) {
  // Docker: the container's resolv.conf, hosts, hostname and shm; named
  // volumes that are plain directories (a volume bound from elsewhere is a
  // mount of another directory there, judged by what it really is).
  // containerd's CRI plugin: sandboxes' hosts, resolv.conf, hostname, shm.
  // kubelet: pods' emptyDir, configMap, secret, projected volumes,
  // etc-hosts, termination-log. podman: the container's userdata, under
  // <driver>-containers (overlay, vfs, btrfs, zfs: storage.conf's choice).
  return {c.docker_root + "/containers/" + id,
          c.docker_root + "/volumes/*/_data",
          c.containerd_root + "/io.containerd.grpc.v1.cri/sandboxes",
          c.containerd_state + "/io.containerd.grpc.v1.cri/sandboxes",
          c.kubelet_root + "/pods",
          c.podman_root + "/*-containers/" + id + "/userdata",
          c.podman_runroot + "/*-containers/" + id + "/userdata"};
}

Result<Config> ParseConfig(const std::string& text, const std::string& file) {
  auto doc = json::Parse(text);
  if (!doc.ok()) return doc.error().Wrap(file);
  Config c;
  c.file = file;
  c.secrets.file = file;
  Status st = ReadConfig(*doc, &c);
  if (!st.ok()) return st.error().Wrap(file);
  return c;
}

Result<Config> LoadConfig() {
  const char* env = std::getenv("MOAT_CONFIG");
  const std::string file = env != nullptr && env[0] != '\0' ? env : kDefaultConfigPath;
  // Root-owned, not group/world-writable, in a directory only root can change.
  MOAT_ASSIGN_OR_RETURN(auto tf, OpenTrustedFile(file));
  MOAT_ASSIGN_OR_RETURN(auto text, ReadFd(tf.fd.get(), file, 1u << 20));
  return ParseConfig(text, file);
}

}  // namespace moat::shim
