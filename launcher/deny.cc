#include "launcher/deny.h"

#include <sys/capability.h>

#include "base/json_read.h"
#include "launcher/process_fit.h"

namespace moat::launcher {

using json::Value;

namespace {

// A config is privileged-equivalent when its devices cgroup lets it open every
// host device, or when its bounding set holds both CAP_SYS_ADMIN and
// CAP_SYS_MODULE (mount anything, load kernel code: host root in all but name;
// `docker run --privileged` and `--cap-add ALL` both give them).
Status CheckPrivileged(const Value& config, std::vector<std::string>* denials) {
  // Every set counts: for a root process, inheritable capabilities outside
  // the bounding set survive execve.
  CapSet held;
  if (const Value* p = config.Find("process")) {
    if (const Value* caps = p->Find("capabilities"); caps != nullptr && caps->is_object()) {
      for (const char* set : {"bounding", "effective", "inheritable", "permitted", "ambient"}) {
        const Value* arr = caps->Find(set);
        if (arr == nullptr || arr->is_null()) continue;
        auto s = ReadCapArray(*arr, std::string("process.capabilities.") + set);
        if (!s.ok()) return s.error();
        held.insert(s->begin(), s->end());
      }
    }
  }
  if (held.count(CAP_SYS_ADMIN) != 0 && held.count(CAP_SYS_MODULE) != 0) {
    denials->push_back(
        "process.capabilities: holds CAP_SYS_ADMIN and CAP_SYS_MODULE (privileged container)");
  }
  const Value* linux = config.Find("linux");
  const Value* res = linux != nullptr ? linux->Find("resources") : nullptr;
  const Value* devices = res != nullptr ? res->Find("devices") : nullptr;
  if (devices == nullptr || devices->is_null()) return Status::Ok();
  const std::string dpath = "linux.resources.devices";
  MOAT_TRY(json::ExpectType(*devices, json::Type::kArray, dpath));
  for (size_t i = 0; i < devices->items().size(); ++i) {
    const Value& d = devices->items()[i];
    const std::string at = json::Index(dpath, i);
    MOAT_TRY(json::ExpectType(d, json::Type::kObject, at));
    const Value* allow = d.Find("allow");
    if (allow == nullptr) return Error{at + ".allow: missing"};
    auto a = json::ReadBool(*allow, at + ".allow");
    if (!a.ok()) return a.error();
    if (!*a) continue;
    auto wildcard = [&](const char* key) {
      const Value* v = d.Find(key);
      return v == nullptr || v->is_null() || (v->is_number() && v->text() == "-1");
    };
    const Value* type = d.Find("type");
    bool any_type = type == nullptr || type->is_null() ||
                    (type->is_string() && (type->text() == "a" || type->text().empty()));
    if (any_type && wildcard("major") && wildcard("minor")) {
      denials->push_back(at + ": grants access to every host device (privileged container)");
    }
  }
  return Status::Ok();
}

Status CheckNamespaces(const Value& config, const Profile& profile, const HostView& host,
                       std::vector<std::string>* denials) {
  std::vector<std::string> required = {"pid", "network", "ipc", "uts", "mount"};
  if (profile.deny.cgroup_namespace) required.emplace_back("cgroup");
  const Value* linux = config.Find("linux");
  const Value* ns = linux != nullptr ? linux->Find("namespaces") : nullptr;
  const std::string path = "linux.namespaces";
  if (ns != nullptr && !ns->is_null()) MOAT_TRY(json::ExpectType(*ns, json::Type::kArray, path));
  for (const auto& type : required) {
    bool found = false;
    if (ns != nullptr && ns->is_array()) {
      for (size_t i = 0; i < ns->items().size(); ++i) {
        const Value& entry = ns->items()[i];
        const std::string at = json::Index(path, i);
        MOAT_TRY(json::ExpectType(entry, json::Type::kObject, at));
        const Value* t = entry.Find("type");
        if (t == nullptr) return Error{at + ".type: missing"};
        auto tname = json::ReadString(*t, at + ".type");
        if (!tname.ok()) return tname.error();
        if (*tname != type) continue;
        found = true;
        const Value* p = entry.Find("path");
        if (p == nullptr || p->is_null()) continue;
        auto ppath = json::ReadString(*p, at + ".path");
        if (!ppath.ok()) return ppath.error();
        if (!ppath->empty() && host.IsHostNamespace(type, *ppath)) {
          denials->push_back(at + ": joins the host's " + type + " namespace (" + *ppath + ")");
        }
      }
    }
    if (!found) {
      denials->push_back(path + ": no " + type +
                         " namespace (the container would share the host's)");
    }
  }
  return Status::Ok();
}

bool IsBind(const Value& mount, const std::vector<std::string>& options) {
  if (const Value* t = mount.Find("type"); t != nullptr && t->is_string() && t->text() == "bind") {
    return true;
  }
  for (const auto& o : options) {
    if (o == "bind" || o == "rbind") return true;
  }
  return false;
}

bool IsUnder(const std::string& path, const std::string& dir) {
  if (dir == "/") return true;
  return path == dir || path.rfind(dir + "/", 0) == 0;
}

Status CheckMounts(const Value& config, const Profile& profile, const HostView& host,
                   std::vector<std::string>* denials) {
  const Value* mounts = config.Find("mounts");
  if (mounts == nullptr || mounts->is_null()) return Status::Ok();
  MOAT_TRY(json::ExpectType(*mounts, json::Type::kArray, "mounts"));
  std::vector<std::string> sockets;
  if (profile.deny.engine_sockets) sockets = host.EngineSockets();
  static const char* const kHostDirs[] = {"/", "/proc", "/sys", "/dev", "/etc"};
  for (size_t i = 0; i < mounts->items().size(); ++i) {
    const Value& m = mounts->items()[i];
    const std::string at = json::Index("mounts", i);
    MOAT_TRY(json::ExpectType(m, json::Type::kObject, at));
    std::vector<std::string> options;
    if (const Value* o = m.Find("options"); o != nullptr && !o->is_null()) {
      auto opts = json::ReadStringArray(*o, at + ".options");
      if (!opts.ok()) return opts.error();
      options = *opts;
    }
    if (!IsBind(m, options)) continue;
    const Value* src = m.Find("source");
    if (src == nullptr) return Error{at + ".source: missing"};
    auto source = json::ReadString(*src, at + ".source");
    if (!source.ok()) return source.error();
    const std::string real = host.RealPath(*source);
    if (profile.deny.engine_sockets) {
      auto slash = real.rfind('/');
      bool hit = IsEngineSocketName(real.substr(slash + 1));
      for (const auto& s : sockets) hit = hit || IsUnder(s, real);
      if (hit) {
        denials->push_back(at + ": bind mount of " + *source +
                           " exposes a container engine's API socket");
      }
    }
    if (profile.deny.host_paths) {
      // runc applies options in order: the last of "ro" and "rw" wins.
      bool ro = false;
      for (const auto& o : options) {
        if (o == "ro") ro = true;
        if (o == "rw") ro = false;
      }
      for (const char* dir : kHostDirs) {
        if (real == dir && !ro) {
          denials->push_back(at + ": writable bind mount of the host's " + std::string(dir));
        }
      }
    }
  }
  return Status::Ok();
}

}  // namespace

Status CheckDenyRules(const Value& config, const Profile& profile, const HostView& host,
                      std::vector<std::string>* denials) {
  if (profile.deny.privileged) MOAT_TRY(CheckPrivileged(config, denials));
  if (profile.deny.host_namespaces) MOAT_TRY(CheckNamespaces(config, profile, host, denials));
  if (profile.deny.engine_sockets || profile.deny.host_paths) {
    MOAT_TRY(CheckMounts(config, profile, host, denials));
  }
  return Status::Ok();
}

}  // namespace moat::launcher
