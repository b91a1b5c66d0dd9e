#include "launcher/spec_view.h"

#include "base/json_read.h"
#include "launcher/process_fit.h"

namespace moat::launcher {

using json::Value;

namespace {

Result<std::string> OptionalString(const Value& m, const char* key, const std::string& at) {
  const Value* v = m.Find(key);
  if (v == nullptr || v->is_null()) return std::string();
  return json::ReadString(*v, at + "." + key);
}

// A device number's part: absent or null is kAny; so is -1 where
// `any_allowed` (cgroup rules), which is what runc reads it as.
Result<int64_t> DeviceNumberPart(const Value& obj, const char* key, const std::string& at,
                                 bool any_allowed) {
  const Value* v = obj.Find(key);
  const std::string field = at + "." + key;
  if (v == nullptr || v->is_null()) {
    if (any_allowed) return DeviceNumber::kAny;
    return Error{field + ": missing"};
  }
  return json::ReadInt(*v, field, any_allowed ? -1 : 0, UINT32_MAX);
}

const Value* LinuxMember(const Value& config, const char* key) {
  const Value* linux = config.Find("linux");
  if (linux == nullptr || !linux->is_object()) return nullptr;
  return linux->Find(key);
}

}  // namespace

std::string DescribeDevice(const DeviceNumber& d) {
  auto part = [](int64_t n) {
    return n == DeviceNumber::kAny ? std::string("*") : std::to_string(n);
  };
  const char* kind = d.type == 'c' ? "char device " : d.type == 'b' ? "block device " : "device ";
  return kind + part(d.major) + ":" + part(d.minor);
}

Result<std::vector<DeviceNodeView>> ReadDeviceNodes(const Value& config) {
  std::vector<DeviceNodeView> out;
  const Value* devices = LinuxMember(config, "devices");
  if (devices == nullptr || devices->is_null()) return out;
  MOAT_TRY(json::ExpectType(*devices, json::Type::kArray, "linux.devices"));
  for (size_t i = 0; i < devices->items().size(); ++i) {
    const Value& d = devices->items()[i];
    DeviceNodeView v;
    v.field = json::Index("linux.devices", i);
    MOAT_TRY(json::ExpectType(d, json::Type::kObject, v.field));
    MOAT_ASSIGN_OR_RETURN(v.path, OptionalString(d, "path", v.field));
    const Value* t = d.Find("type");
    if (t == nullptr) return Error{v.field + ".type: missing"};
    auto read = json::ReadString(*t, v.field + ".type");
    if (!read.ok()) return read.error();
    const std::string& type = *read;
    if (type == "c" || type == "u") {
      v.number.type = 'c';
    } else if (type == "b") {
      v.number.type = 'b';
    } else if (type == "p") {
      v.number.type = 'p';
      out.push_back(std::move(v));
      continue;
    } else {
      return Error{v.field + ".type: " + json::Quote(type) + " is not one of c, u, b, p"};
    }
    MOAT_ASSIGN_OR_RETURN(v.number.major, DeviceNumberPart(d, "major", v.field, false));
    MOAT_ASSIGN_OR_RETURN(v.number.minor, DeviceNumberPart(d, "minor", v.field, false));
    out.push_back(std::move(v));
  }
  return out;
}

Result<std::vector<DeviceRuleView>> ReadDeviceRules(const Value& config) {
  std::vector<DeviceRuleView> out;
  const Value* res = LinuxMember(config, "resources");
  if (res == nullptr || res->is_null()) return out;
  MOAT_TRY(json::ExpectType(*res, json::Type::kObject, "linux.resources"));
  const Value* rules = res->Find("devices");
  if (rules == nullptr || rules->is_null()) return out;
  MOAT_TRY(json::ExpectType(*rules, json::Type::kArray, "linux.resources.devices"));
  for (size_t i = 0; i < rules->items().size(); ++i) {
    const Value& d = rules->items()[i];
    DeviceRuleView v;
    v.field = json::Index("linux.resources.devices", i);
    MOAT_TRY(json::ExpectType(d, json::Type::kObject, v.field));
    const Value* allow = d.Find("allow");
    if (allow == nullptr) return Error{v.field + ".allow: missing"};
    MOAT_ASSIGN_OR_RETURN(v.allow, json::ReadBool(*allow, v.field + ".allow"));
    auto read = OptionalString(d, "type", v.field);
    if (!read.ok()) return read.error();
    const std::string& type = *read;
    if (type.empty() || type == "a") {
      v.number.type = 'a';
    } else if (type == "c" || type == "b") {
      v.number.type = type[0];
    } else {
      return Error{v.field + ".type: " + json::Quote(type) + " is not one of a, c, b"};
    }
    MOAT_ASSIGN_OR_RETURN(v.number.major, DeviceNumberPart(d, "major", v.field, true));
    MOAT_ASSIGN_OR_RETURN(v.number.minor, DeviceNumberPart(d, "minor", v.field, true));
    MOAT_ASSIGN_OR_RETURN(v.access, OptionalString(d, "access", v.field));
    for (char c : v.access) {
      if (c != 'r' && c != 'w' && c != 'm') {
        return Error{v.field + ".access: " + json::Quote(v.access) +
                     " has letters other than r, w, m"};
      }
    }
    if (v.access.empty()) v.access = "rwm";
    out.push_back(std::move(v));
  }
  return out;
}

Result<LsmLabelsView> ReadLsmLabels(const Value& config) {
  LsmLabelsView v;
  const Value* p = config.Find("process");
  if (p == nullptr || !p->is_object()) return v;
  MOAT_ASSIGN_OR_RETURN(v.apparmor_profile, OptionalString(*p, "apparmorProfile", "process"));
  MOAT_ASSIGN_OR_RETURN(v.selinux_label, OptionalString(*p, "selinuxLabel", "process"));
  return v;
}

Result<std::vector<MountView>> ReadMounts(const Value& config) {
  std::vector<MountView> out;
  const Value* mounts = config.Find("mounts");
  if (mounts == nullptr || mounts->is_null()) return out;
  MOAT_TRY(json::ExpectType(*mounts, json::Type::kArray, "mounts"));
  for (size_t i = 0; i < mounts->items().size(); ++i) {
    const Value& m = mounts->items()[i];
    MountView v;
    v.index = i;
    v.field = json::Index("mounts", i);
    MOAT_TRY(json::ExpectType(m, json::Type::kObject, v.field));
    MOAT_ASSIGN_OR_RETURN(v.type, OptionalString(m, "type", v.field));
    MOAT_ASSIGN_OR_RETURN(v.source, OptionalString(m, "source", v.field));
    MOAT_ASSIGN_OR_RETURN(v.destination, OptionalString(m, "destination", v.field));
    if (const Value* o = m.Find("options"); o != nullptr && !o->is_null()) {
      MOAT_ASSIGN_OR_RETURN(v.options, json::ReadStringArray(*o, v.field + ".options"));
    }
    v.bind = v.type == "bind";
    for (const auto& o : v.options) {
      if (o == "bind" || o == "rbind") v.bind = true;
      if (o == "ro") v.readonly = true;
      if (o == "rw") v.readonly = false;
    }
    out.push_back(std::move(v));
  }
  return out;
}

Result<std::vector<NamespaceView>> ReadNamespaces(const Value& config) {
  std::vector<NamespaceView> out;
  const Value* linux = config.Find("linux");
  const Value* ns = linux != nullptr ? linux->Find("namespaces") : nullptr;
  if (ns == nullptr || ns->is_null()) return out;
  MOAT_TRY(json::ExpectType(*ns, json::Type::kArray, "linux.namespaces"));
  for (size_t i = 0; i < ns->items().size(); ++i) {
    const Value& entry = ns->items()[i];
    NamespaceView v;
    v.field = json::Index("linux.namespaces", i);
    MOAT_TRY(json::ExpectType(entry, json::Type::kObject, v.field));
    const Value* t = entry.Find("type");
    if (t == nullptr) return Error{v.field + ".type: missing"};
    MOAT_ASSIGN_OR_RETURN(v.type, json::ReadString(*t, v.field + ".type"));
    MOAT_ASSIGN_OR_RETURN(v.path, OptionalString(entry, "path", v.field));
    out.push_back(std::move(v));
  }
  return out;
}

Result<CapSet> ReadHeldCapabilities(const Value& config) {
  CapSet held;
  const Value* p = config.Find("process");
  const Value* caps = p != nullptr ? p->Find("capabilities") : nullptr;
  if (caps == nullptr || !caps->is_object()) return held;
  for (const char* set : {"bounding", "effective", "inheritable", "permitted", "ambient"}) {
    const Value* arr = caps->Find(set);
    if (arr == nullptr || arr->is_null()) continue;
    MOAT_ASSIGN_OR_RETURN(CapSet s, ReadCapArray(*arr, std::string("process.capabilities.") + set));
    held.insert(s.begin(), s.end());
  }
  return held;
}

}  // namespace moat::launcher
