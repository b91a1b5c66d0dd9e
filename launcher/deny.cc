#include "launcher/deny.h"

#include <sys/capability.h>

#include <string_view>

#include "base/json_read.h"
#include "launcher/devices.h"
#include "launcher/process_fit.h"
#include "launcher/spec_view.h"

namespace moat::launcher {

using json::Value;

namespace {

// A config is privileged-equivalent when its devices cgroup lets it open every
// host device, or when its bounding set holds both CAP_SYS_ADMIN and
// CAP_SYS_MODULE (mount anything, load kernel code: host root in all but name;
// `docker run --privileged` and `--cap-add ALL` both give them).
Status CheckPrivileged(const Value& config, const std::vector<DeviceRuleView>& rules,
                       std::vector<std::string>* denials) {
  MOAT_ASSIGN_OR_RETURN(const CapSet held, ReadHeldCapabilities(config));
  if (held.count(CAP_SYS_ADMIN) != 0 && held.count(CAP_SYS_MODULE) != 0) {
    denials->push_back(
        "process.capabilities: holds CAP_SYS_ADMIN and CAP_SYS_MODULE (privileged container)");
  }
  for (const DeviceRuleView& r : rules) {
    if (r.allow && r.number.type == 'a' && r.number.major == DeviceNumber::kAny &&
        r.number.minor == DeviceNumber::kAny) {
      denials->push_back(r.field + ": grants access to every host device (privileged container)");
    }
  }
  return Status::Ok();
}

Status CheckNamespaces(const Value& config, const Profile& profile, const HostView& host,
                       std::vector<std::string>* denials) {
  std::vector<std::string> required = {"pid", "network", "ipc", "uts", "mount"};
  if (profile.deny.cgroup_namespace) required.emplace_back("cgroup");
  MOAT_ASSIGN_OR_RETURN(const auto namespaces, ReadNamespaces(config));
  for (const auto& type : required) {
    bool found = false;
    for (const NamespaceView& ns : namespaces) {
      if (ns.type != type) continue;
      found = true;
      if (!ns.path.empty() && host.IsHostNamespace(type, ns.path)) {
        denials->push_back(ns.field + ": joins the host's " + type + " namespace (" + ns.path +
                           ")");
      }
    }
    if (!found) {
      denials->push_back("linux.namespaces: no " + type +
                         " namespace (the container would share the host's)");
    }
  }
  return Status::Ok();
}

bool IsUnder(const std::string& path, const std::string& dir) {
  if (dir == "/") return true;
  return path == dir || path.rfind(dir + "/", 0) == 0;
}

// Mount types that make a new instance of a kernel filesystem or an empty
// one: inside the container's own namespaces they show the host nothing.
// Every other non-bind type (ext4 of a host block device, overlay with host
// lowerdirs, nfs, ...) reaches host data moat does not judge.
bool IsFreshFs(const std::string& type) {
  static const char* const kTypes[] = {"tmpfs",   "proc",   "sysfs", "cgroup",
                                       "cgroup2", "devpts", "mqueue"};
  for (const char* t : kTypes) {
    if (type == t) return true;
  }
  return false;
}

/// What a bind source's host object is allowed by.
enum class Grant { kNone, kReadOnlyOnly, kEngine, kProfile };

// An engine root "BASE[/PATTERN]": BASE is a directory, PATTERN names what
// below it may be bound, "*" standing for one component and "*SUFFIX" for a
// component ending in SUFFIX ("/var/lib/docker/volumes" + "*/_data").
struct EngineRoot {
  HostObject base;
  std::vector<std::string> pattern;
};

std::vector<std::string> Components(const std::string& rel) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < rel.size()) {
    size_t slash = rel.find('/', pos);
    if (slash == std::string::npos) slash = rel.size();
    if (slash > pos) out.push_back(rel.substr(pos, slash - pos));
    pos = slash + 1;
  }
  return out;
}

Result<EngineRoot> ResolveEngineRoot(const std::string& root, const HostView& host) {
  const size_t star = root.find("/*");
  const std::string base = star == std::string::npos ? root : root.substr(0, star);
  EngineRoot r;
  MOAT_ASSIGN_OR_RETURN(r.base, host.Resolve(base));
  if (star != std::string::npos) r.pattern = Components(root.substr(star + 1));
  return r;
}

bool ComponentFits(const std::string& pattern, const std::string& name) {
  if (pattern.empty() || pattern[0] != '*') return pattern == name;
  const std::string_view suffix = std::string_view(pattern).substr(1);
  return name.size() > suffix.size() && std::string_view(name).ends_with(suffix);
}

// `rel` (a path below a root, "" for the root itself) fits the pattern.
bool FitsPattern(const std::vector<std::string>& pattern, const std::string& rel) {
  const auto parts = Components(rel);
  if (parts.size() < pattern.size()) return false;
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (!ComponentFits(pattern[i], parts[i])) return false;
  }
  return true;
}

// The object is the base's or below it, on the same filesystem or on a
// private tmpfs mounted there, and its path fits the pattern. On the same
// filesystem, where it lies in that filesystem must fit too: a volume bound
// from the whole volumes directory is mounted at volumes/v/_data, but what
// it shows is volumes/ itself, every other volume and the metadata store.
bool EngineGrants(const EngineRoot& root, const HostObject& obj, const HostView& host) {
  const bool within = IsWithin(obj, root.base);
  if (!within && !IsPrivateTmpfsUnder(obj, root.base.path, host.Mounts())) return false;
  if (!PathIsUnder(obj.path, root.base.path)) return false;
  if (!FitsPattern(root.pattern, obj.path.substr(root.base.path.size()))) return false;
  return !within || FitsPattern(root.pattern, obj.in_fs.substr(root.base.in_fs.size()));
}

Grant FindGrant(const HostObject& obj, bool readonly, const std::vector<EngineRoot>& engine,
                const std::vector<std::pair<HostObject, bool>>& granted, const HostView& host) {
  for (const EngineRoot& root : engine) {
    if (EngineGrants(root, obj, host)) return Grant::kEngine;
  }
  Grant g = Grant::kNone;
  for (const auto& [grant, writable] : granted) {
    if (!IsWithin(obj, grant)) continue;
    if (writable || readonly) return Grant::kProfile;
    g = Grant::kReadOnlyOnly;
  }
  return g;
}

Status CheckMounts(const Value& config, const Profile& profile, const HostView& host,
                   const std::vector<std::string>& engine_roots, std::vector<std::string>* denials,
                   std::vector<ResolvedSource>* resolved) {
  MOAT_ASSIGN_OR_RETURN(auto mounts, ReadMounts(config));
  if (mounts.empty()) return Status::Ok();
  // Sockets by path and as host objects: a bind of the directory holding
  // one, under another path (a volume bound from /run), still exposes it.
  std::vector<std::string> sockets;
  std::vector<HostObject> socket_objects;
  if (profile.deny.engine_sockets) {
    sockets = host.EngineSockets();
    for (const auto& s : sockets) {
      if (auto o = host.Resolve(s); o.ok()) socket_objects.push_back(std::move(o.value()));
    }
  }
  // Grants are host objects too, resolved now; one that does not exist grants nothing.
  std::vector<EngineRoot> engine;
  std::vector<std::pair<HostObject, bool>> granted;
  if (profile.deny.host_paths) {
    for (const auto& root : engine_roots) {
      if (auto o = ResolveEngineRoot(root, host); o.ok()) engine.push_back(std::move(o.value()));
    }
    for (const auto& g : profile.host_paths) {
      if (auto o = host.Resolve(g.path); o.ok())
        granted.emplace_back(std::move(o.value()), g.writable);
    }
  }
  const std::string named = "profile \"" + profile.name + "\"";
  for (const MountView& m : mounts) {
    if (!m.bind) {
      if (profile.deny.host_paths && !IsFreshFs(m.type)) {
        denials->push_back(m.field + ": a " + json::Quote(m.type) + " mount of " +
                           json::Quote(m.source) + " reaches host data moat does not judge and " +
                           named + " allows only bind mounts of granted host paths");
      }
      continue;
    }
    if (m.source.empty()) return Error{m.field + ".source: missing"};
    auto obj = host.Resolve(m.source);
    if (profile.deny.engine_sockets) {
      const std::string real = host.RealPath(m.source);
      auto slash = real.rfind('/');
      bool hit = IsEngineSocketName(real.substr(slash + 1));
      for (const auto& s : sockets) hit = hit || IsUnder(s, real);
      for (const auto& s : socket_objects) hit = hit || (obj.ok() && IsWithin(s, *obj));
      if (hit) {
        denials->push_back(m.field + ": bind mount of " + m.source +
                           " exposes a container engine's API socket");
      }
    }
    if (!profile.deny.host_paths) continue;
    if (!obj.ok()) {
      denials->push_back(m.field + ": bind source " + m.source +
                         " is no host object moat can judge (" + obj.error().message + ")");
      continue;
    }
    const Grant g = FindGrant(*obj, m.readonly, engine, granted, host);
    if (g == Grant::kEngine || g == Grant::kProfile) {
      if (obj->path != m.source) resolved->push_back({m.index, obj->path});
      continue;
    }
    const std::string what = DescribeHostObject(*obj, host.Mounts());
    denials->push_back(
        m.field + ": " + m.source + " is " + what + " and " + named +
        (g == Grant::kReadOnlyOnly ? " grants it read-only only" : " grants no host path there"));
  }
  return Status::Ok();
}

}  // namespace

Status CheckDenyRules(const Value& config, const Profile& profile, const HostView& host,
                      const std::vector<std::string>& engine_roots,
                      std::vector<std::string>* denials, std::vector<ResolvedSource>* resolved) {
  std::vector<DeviceRuleView> device_rules;
  if (profile.deny.privileged || profile.deny.devices) {
    MOAT_ASSIGN_OR_RETURN(device_rules, ReadDeviceRules(config));
  }
  if (profile.deny.privileged) MOAT_TRY(CheckPrivileged(config, device_rules, denials));
  if (profile.deny.host_namespaces) MOAT_TRY(CheckNamespaces(config, profile, host, denials));
  if (profile.deny.engine_sockets || profile.deny.host_paths) {
    MOAT_TRY(CheckMounts(config, profile, host, engine_roots, denials, resolved));
  }
  if (profile.deny.devices) MOAT_TRY(CheckDevices(config, device_rules, profile, denials));
  if (profile.deny.unconfined_lsm) MOAT_TRY(CheckLsm(config, profile, host, denials));
  return Status::Ok();
}

}  // namespace moat::launcher
