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

Result<std::string> RequiredString(const Value& m, const char* key, const std::string& at) {
  const Value* v = m.Find(key);
  if (v == nullptr) return Error{at + "." + key + ": missing"};
  return json::ReadString(*v, at + "." + key);
}

// Reads an optional array of objects at `path` (absent or null: empty), each
// entry by `read(entry, index, field)` where field is "path[index]".
template <typename T>
Result<std::vector<T>> ReadObjects(const Value* array, const std::string& path,
                                   Result<T> (*read)(const Value&, size_t, const std::string&)) {
  std::vector<T> out;
  if (array == nullptr || array->is_null()) return out;
  MOAT_TRY(json::ExpectType(*array, json::Type::kArray, path));
  out.reserve(array->items().size());
  for (size_t i = 0; i < array->items().size(); ++i) {
    const std::string field = json::Index(path, i);
    MOAT_TRY(json::ExpectType(array->items()[i], json::Type::kObject, field));
    MOAT_ASSIGN_OR_RETURN(T entry, read(array->items()[i], i, field));
    out.push_back(std::move(entry));
  }
  return out;
}

const Value* LinuxMember(const Value& config, const char* key) {
  const Value* linux = config.Find("linux");
  if (linux == nullptr || !linux->is_object()) return nullptr;
  return linux->Find(key);
}

Result<DeviceNodeView> ReadDeviceNode(const Value& d, size_t, const std::string& field) {
  DeviceNodeView v;
  v.field = field;
  MOAT_ASSIGN_OR_RETURN(v.path, OptionalString(d, "path", field));
  MOAT_ASSIGN_OR_RETURN(auto type, RequiredString(d, "type", field));
  if (type == "p") {
    v.number.type = 'p';
    return v;
  }
  if (type == "c" || type == "u") {
    v.number.type = 'c';
  } else if (type == "b") {
    v.number.type = 'b';
  } else {
    return Error{field + ".type: " + json::Quote(type) + " is not one of c, u, b, p"};
  }
  MOAT_ASSIGN_OR_RETURN(v.number.major, DeviceNumberPart(d, "major", field, false));
  MOAT_ASSIGN_OR_RETURN(v.number.minor, DeviceNumberPart(d, "minor", field, false));
  return v;
}

Result<DeviceRuleView> ReadDeviceRule(const Value& d, size_t, const std::string& field) {
  DeviceRuleView v;
  v.field = field;
  const Value* allow = d.Find("allow");
  if (allow == nullptr) return Error{field + ".allow: missing"};
  MOAT_ASSIGN_OR_RETURN(v.allow, json::ReadBool(*allow, field + ".allow"));
  MOAT_ASSIGN_OR_RETURN(auto type, OptionalString(d, "type", field));
  if (type.empty() || type == "a") {
    v.number.type = 'a';
  } else if (type == "c" || type == "b") {
    v.number.type = type[0];
  } else {
    return Error{field + ".type: " + json::Quote(type) + " is not one of a, c, b"};
  }
  MOAT_ASSIGN_OR_RETURN(v.number.major, DeviceNumberPart(d, "major", field, true));
  MOAT_ASSIGN_OR_RETURN(v.number.minor, DeviceNumberPart(d, "minor", field, true));
  MOAT_ASSIGN_OR_RETURN(v.access, OptionalString(d, "access", field));
  for (char c : v.access) {
    if (c != 'r' && c != 'w' && c != 'm')
      return Error{field + ".access: " + json::Quote(v.access) + " has letters other than r, w, m"};
  }
  if (v.access.empty()) v.access = "rwm";
  return v;
}

Result<MountView> ReadMount(const Value& m, size_t index, const std::string& field) {
  MountView v;
  v.index = index;
  v.field = field;
  MOAT_ASSIGN_OR_RETURN(v.type, OptionalString(m, "type", field));
  MOAT_ASSIGN_OR_RETURN(v.source, OptionalString(m, "source", field));
  MOAT_ASSIGN_OR_RETURN(v.destination, OptionalString(m, "destination", field));
  if (const Value* o = m.Find("options"); o != nullptr && !o->is_null()) {
    MOAT_ASSIGN_OR_RETURN(v.options, json::ReadStringArray(*o, field + ".options"));
  }
  v.bind = v.type == "bind";
  for (const auto& o : v.options) {
    if (o == "bind" || o == "rbind") v.bind = true;
    if (o == "ro") v.readonly = true;
    if (o == "rw") v.readonly = false;
  }
  return v;
}

Result<NamespaceView> ReadNamespace(const Value& entry, size_t, const std::string& field) {
  NamespaceView v;
  v.field = field;
  MOAT_ASSIGN_OR_RETURN(v.type, RequiredString(entry, "type", field));
  MOAT_ASSIGN_OR_RETURN(v.path, OptionalString(entry, "path", field));
  return v;
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
  return ReadObjects(LinuxMember(config, "devices"), "linux.devices", ReadDeviceNode);
}

Result<std::vector<DeviceRuleView>> ReadDeviceRules(const Value& config) {
  const Value* res = LinuxMember(config, "resources");
  if (res == nullptr || res->is_null()) return std::vector<DeviceRuleView>();
  MOAT_TRY(json::ExpectType(*res, json::Type::kObject, "linux.resources"));
  return ReadObjects(res->Find("devices"), "linux.resources.devices", ReadDeviceRule);
}

Result<LsmLabelsView> ReadLsmLabels(const Value& config) {
  const Value* p = config.Find("process");
  if (p == nullptr || !p->is_object()) return LsmLabelsView();
  return ReadProcessLsmLabels(*p, "process");
}

Result<LsmLabelsView> ReadProcessLsmLabels(const Value& process, const std::string& at) {
  LsmLabelsView v;
  MOAT_ASSIGN_OR_RETURN(v.apparmor_profile, OptionalString(process, "apparmorProfile", at));
  MOAT_ASSIGN_OR_RETURN(v.selinux_label, OptionalString(process, "selinuxLabel", at));
  return v;
}

Result<std::vector<MountView>> ReadMounts(const Value& config) {
  return ReadObjects(config.Find("mounts"), "mounts", ReadMount);
}

Result<std::vector<NamespaceView>> ReadNamespaces(const Value& config) {
  return ReadObjects(LinuxMember(config, "namespaces"), "linux.namespaces", ReadNamespace);
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
