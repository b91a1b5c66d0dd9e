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

}  // namespace

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
