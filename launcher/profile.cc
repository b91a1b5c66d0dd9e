#include "launcher/profile.h"

#include <algorithm>
#include <string_view>

#include "base/fs.h"
#include "base/json_read.h"
#include "launcher/host.h"

namespace moat::launcher {

CapSet Profile::Apply(const CapSet& requested) const {
  if (!caps_set) return requested;
  CapSet out;
  for (int c : requested) {
    if (drop.count(c) != 0) continue;
    if (allow && allow->count(c) == 0) continue;
    out.insert(c);
  }
  out.insert(add.begin(), add.end());
  return out;
}

namespace {

using json::Value;

Result<CapSet> ReadCaps(const Value& v, const std::string& path, bool allow_all) {
  MOAT_ASSIGN_OR_RETURN(auto names, json::ReadStringArray(v, path));
  CapSet out;
  for (size_t i = 0; i < names.size(); ++i) {
    const std::string& n = names[i];
    if (allow_all && (n == "ALL" || n == "all")) {
      CapSet all = AllCaps();
      out.insert(all.begin(), all.end());
      continue;
    }
    auto c = CapFromName(n);
    if (!c.ok()) return c.error().Wrap(json::Index(path, i));
    out.insert(*c);
  }
  return out;
}

Status ReadUser(const Value& v, Profile* p) {
  MOAT_TRY(json::CheckObject(v, "user", {"root", "uid", "gid"}));
  if (const Value* r = v.Find("root")) {
    MOAT_ASSIGN_OR_RETURN(auto s, json::ReadString(*r, "user.root"));
    if (s == "refuse") {
      p->root = RootPolicy::kRefuse;
    } else if (s == "remap") {
      p->root = RootPolicy::kRemap;
    } else if (s == "allow") {
      p->root = RootPolicy::kAllow;
    } else {
      return Error{"user.root: \"" + s + "\" is not one of refuse, remap, allow"};
    }
  }
  for (const char* key : {"uid", "gid"}) {
    const Value* id = v.Find(key);
    if (id == nullptr) continue;
    MOAT_ASSIGN_OR_RETURN(auto n, json::ReadInt(*id, std::string("user.") + key, 1, 4294967294LL));
    (key[0] == 'u' ? p->remap_uid : p->remap_gid) = static_cast<uint32_t>(n);
  }
  return Status::Ok();
}

Status ReadCapabilities(const Value& v, Profile* p) {
  MOAT_TRY(json::CheckObject(v, "capabilities", {"drop", "add", "allow"}));
  p->caps_set = true;
  if (const Value* d = v.Find("drop")) {
    MOAT_ASSIGN_OR_RETURN(p->drop, ReadCaps(*d, "capabilities.drop", true));
  }
  if (const Value* a = v.Find("add")) {
    MOAT_ASSIGN_OR_RETURN(p->add, ReadCaps(*a, "capabilities.add", false));
  }
  if (const Value* a = v.Find("allow")) {
    MOAT_ASSIGN_OR_RETURN(p->allow, ReadCaps(*a, "capabilities.allow", true));
  }
  for (int c : p->add) {
    if (p->allow && p->allow->count(c) == 0) {
      return Error{"capabilities.add: " + CapName(c) + " is not in capabilities.allow"};
    }
  }
  return Status::Ok();
}

Status ReadTmpfs(const Value& v, Profile* p) {
  MOAT_TRY(json::ExpectType(v, json::Type::kArray, "tmpfs"));
  for (size_t i = 0; i < v.items().size(); ++i) {
    const std::string path = json::Index("tmpfs", i);
    const Value& item = v.items()[i];
    MOAT_TRY(json::CheckObject(item, path, {"path", "options"}));
    TmpfsMount m;
    const Value* dest = item.Find("path");
    if (dest == nullptr) return Error{path + ".path: missing"};
    MOAT_ASSIGN_OR_RETURN(m.path, json::ReadString(*dest, path + ".path"));
    if (m.path.empty() || m.path[0] != '/' || m.path.find("..") != std::string::npos) {
      return Error{path + ".path: \"" + m.path + "\" must be an absolute path without \"..\""};
    }
    if (const Value* o = item.Find("options")) {
      MOAT_ASSIGN_OR_RETURN(auto opts, json::ReadStringArray(*o, path + ".options"));
      for (const auto& opt : opts) {
        if (opt.rfind("uid=", 0) == 0 || opt.rfind("gid=", 0) == 0) {
          return Error{path + ".options: \"" + opt +
                       "\": the owner is set by moat to the container's user"};
        }
      }
      m.options = opts;
    } else {
      m.options = {"nosuid", "nodev", "noexec", "mode=1777", "size=65536k"};
    }
    p->tmpfs.push_back(std::move(m));
  }
  return Status::Ok();
}

Status ReadDeny(const Value& v, Profile* p) {
  MOAT_TRY(json::CheckObject(v, "deny",
                             {"privileged", "host_namespaces", "cgroup_namespace", "engine_sockets",
                              "host_paths", "devices", "unconfined_lsm"}));
  struct {
    const char* key;
    bool* field;
  } rules[] = {{"privileged", &p->deny.privileged},
               {"host_namespaces", &p->deny.host_namespaces},
               {"cgroup_namespace", &p->deny.cgroup_namespace},
               {"engine_sockets", &p->deny.engine_sockets},
               {"host_paths", &p->deny.host_paths},
               {"devices", &p->deny.devices},
               {"unconfined_lsm", &p->deny.unconfined_lsm}};
  for (auto& r : rules) {
    if (const Value* b = v.Find(r.key)) {
      MOAT_ASSIGN_OR_RETURN(*r.field, json::ReadBool(*b, std::string("deny.") + r.key));
    }
  }
  return Status::Ok();
}

Status ReadHostPaths(const Value& v, Profile* p) {
  MOAT_TRY(json::ExpectType(v, json::Type::kArray, "host_paths"));
  for (size_t i = 0; i < v.items().size(); ++i) {
    const std::string at = json::Index("host_paths", i);
    const Value& item = v.items()[i];
    MOAT_TRY(json::CheckObject(item, at, {"path", "writable"}));
    const Value* path = item.Find("path");
    if (path == nullptr) return Error{at + ".path: missing"};
    MOAT_ASSIGN_OR_RETURN(std::string s, json::ReadString(*path, at + ".path"));
    if (s.empty() || s[0] != '/' || CleanPath(s) != s) {
      return Error{at + ".path: \"" + s + "\" is not a clean absolute path"};
    }
    HostPathGrant g;
    g.path = s;
    if (const Value* w = item.Find("writable")) {
      MOAT_ASSIGN_OR_RETURN(g.writable, json::ReadBool(*w, at + ".writable"));
    }
    p->host_paths.push_back(std::move(g));
  }
  return Status::Ok();
}

// major and minor: a number or "*" (kAnyNumber).
constexpr std::string_view kAnyNumber = "*";

Result<int64_t> ReadGrantNumber(const Value& item, const char* key, const std::string& at) {
  const Value* v = item.Find(key);
  const std::string field = at + "." + key;
  if (v == nullptr) return Error{field + ": missing (a number, or \"*\" for any)"};
  if (v->is_string() && v->text() == kAnyNumber) return DeviceNumber::kAny;
  if (!v->is_number()) return Error{field + ": expected a number or \"*\""};
  return json::ReadInt(*v, field, 0, UINT32_MAX);
}

Status ReadDevices(const Value& v, Profile* p) {
  MOAT_TRY(json::ExpectType(v, json::Type::kArray, "devices"));
  for (size_t i = 0; i < v.items().size(); ++i) {
    const std::string at = json::Index("devices", i);
    const Value& item = v.items()[i];
    MOAT_TRY(json::CheckObject(item, at, {"type", "major", "minor", "access"}));
    DeviceGrant g;
    auto read = json::ReadNonEmptyMember(item, "type", at);
    if (!read.ok()) return read.error();
    const std::string& type = *read;
    if (type != "c" && type != "b") {
      return Error{at + ".type: " + json::Quote(type) + " is not one of c, b"};
    }
    g.number.type = type[0];
    MOAT_ASSIGN_OR_RETURN(g.number.major, ReadGrantNumber(item, "major", at));
    MOAT_ASSIGN_OR_RETURN(g.number.minor, ReadGrantNumber(item, "minor", at));
    if (const Value* a = item.Find("access")) {
      MOAT_ASSIGN_OR_RETURN(g.access, json::ReadString(*a, at + ".access"));
      bool ok = !g.access.empty();
      for (char c : g.access) ok = ok && (c == 'r' || c == 'w' || c == 'm');
      if (!ok) return Error{at + ".access: " + json::Quote(g.access) + " is not letters of rwm"};
    }
    p->devices.push_back(std::move(g));
  }
  return Status::Ok();
}

// A path relative to the profiles directory or absolute, without "." or ".."
// components, so that it cannot climb out of where the operator put it.
Status ReadSeccompKey(const Value& v, Profile* p) {
  MOAT_ASSIGN_OR_RETURN(auto s, json::ReadString(v, "seccomp"));
  if (s == "unconfined") {
    p->seccomp_policy = SeccompPolicy::kUnconfined;
    return Status::Ok();
  }
  bool ok = !s.empty() && s.back() != '/';
  for (size_t start = s[0] == '/' ? 1 : 0; ok && start <= s.size();) {
    size_t end = std::min(s.find('/', start), s.size());
    const std::string part = s.substr(start, end - start);
    ok = !part.empty() && part != "." && part != "..";
    start = end + 1;
  }
  if (!ok) {
    return Error{"seccomp: \"" + s + "\" is not a file path without empty, \".\" or \"..\" parts"};
  }
  p->seccomp = s;
  p->seccomp_policy = SeccompPolicy::kReplace;
  return Status::Ok();
}

Status ReadProfile(const Value& root, Profile* p) {
  MOAT_TRY(json::CheckObject(
      root, "",
      {"description", "user", "capabilities", "no_new_privileges", "readonly_rootfs", "tmpfs",
       "pids_limit", "deny", "exec", "seccomp", "secrets", "host_paths", "devices"}));
  if (const Value* d = root.Find("description")) {
    MOAT_ASSIGN_OR_RETURN(p->description, json::ReadString(*d, "description"));
  }
  if (const Value* u = root.Find("user")) MOAT_TRY(ReadUser(*u, p));
  if (const Value* c = root.Find("capabilities")) MOAT_TRY(ReadCapabilities(*c, p));
  if (const Value* n = root.Find("no_new_privileges")) {
    MOAT_ASSIGN_OR_RETURN(p->no_new_privileges, json::ReadBool(*n, "no_new_privileges"));
  }
  if (const Value* r = root.Find("readonly_rootfs")) {
    MOAT_ASSIGN_OR_RETURN(p->readonly_rootfs, json::ReadBool(*r, "readonly_rootfs"));
  }
  if (const Value* t = root.Find("tmpfs")) MOAT_TRY(ReadTmpfs(*t, p));
  if (const Value* l = root.Find("pids_limit")) {
    MOAT_ASSIGN_OR_RETURN(p->pids_limit, json::ReadInt(*l, "pids_limit", 1, int64_t{1} << 32));
  }
  if (const Value* d = root.Find("deny")) MOAT_TRY(ReadDeny(*d, p));
  if (const Value* s = root.Find("secrets")) MOAT_TRY(ReadSecretRefs(*s, "secrets", &p->secrets));
  if (const Value* e = root.Find("exec")) {
    MOAT_ASSIGN_OR_RETURN(auto s, json::ReadString(*e, "exec"));
    if (s == "reduce") {
      p->exec = ExecPolicy::kReduce;
    } else if (s == "refuse") {
      p->exec = ExecPolicy::kRefuse;
    } else {
      return Error{"exec: \"" + s + "\" is not one of reduce, refuse"};
    }
  }
  if (const Value* s = root.Find("seccomp")) MOAT_TRY(ReadSeccompKey(*s, p));
  if (const Value* h = root.Find("host_paths")) MOAT_TRY(ReadHostPaths(*h, p));
  if (const Value* d = root.Find("devices")) MOAT_TRY(ReadDevices(*d, p));
  return Status::Ok();
}

}  // namespace

void Widen(Profile* profile, const Profile& grants) {
  profile->host_paths.insert(profile->host_paths.end(), grants.host_paths.begin(),
                             grants.host_paths.end());
  profile->devices.insert(profile->devices.end(), grants.devices.begin(), grants.devices.end());
}

Result<Profile> ParseProfile(const std::string& text, const std::string& name,
                             const std::string& file) {
  auto doc = json::Parse(text);
  if (!doc.ok()) return doc.error().Wrap(file);
  Profile p;
  p.name = name;
  Status st = ReadProfile(*doc, &p);
  if (!st.ok()) return st.error().Wrap(file);
  return p;
}

Result<Profile> LoadProfile(const std::string& profiles_dir, const std::string& name) {
  bool valid = !name.empty() && name.size() <= 128 &&
               std::all_of(name.begin(), name.end(),
                           [](char c) {
                             return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' ||
                                    c == '_' || c == '.';
                           }) &&
               name[0] != '.';
  if (!valid) return Error{"profile name \"" + name + "\" is not a plain file name"};
  const std::string file = profiles_dir + "/" + name + ".json";
  // Root-owned, not group/world-writable, in a directory only root can change.
  MOAT_ASSIGN_OR_RETURN(auto tf, OpenTrustedFile(file));
  MOAT_ASSIGN_OR_RETURN(auto text, ReadFd(tf.fd.get(), file, 1u << 20));
  auto p = ParseProfile(text, name, file);
  if (!p.ok() || p->seccomp.empty()) return p;
  const std::string path = p->seccomp[0] == '/' ? p->seccomp : profiles_dir + "/" + p->seccomp;
  auto sc = LoadSeccompFile(path);
  if (!sc.ok()) return sc.error().Wrap(file + ": seccomp");
  p->seccomp_file = std::make_shared<const SeccompFile>(std::move(sc.value()));
  return p;
}

}  // namespace moat::launcher
