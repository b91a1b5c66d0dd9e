#include "launcher/process_fit.h"

#include <algorithm>

#include "base/json_read.h"

namespace moat::launcher {

using json::Value;

Result<CapSet> ReadCapArray(const Value& v, const std::string& path) {
  MOAT_TRY(json::ExpectType(v, json::Type::kArray, path));
  CapSet out;
  for (size_t i = 0; i < v.items().size(); ++i) {
    const std::string at = json::Index(path, i);
    MOAT_ASSIGN_OR_RETURN(auto name, json::ReadString(v.items()[i], at));
    auto c = CapFromName(name);
    if (!c.ok()) return c.error().Wrap(at);
    out.insert(*c);
  }
  return out;
}

Result<uint32_t> ReadUint32(const Value& v, const std::string& path) {
  MOAT_ASSIGN_OR_RETURN(auto n, json::ReadInt(v, path, 0, 4294967295LL));
  return static_cast<uint32_t>(n);
}

namespace {

const char* const kCapSets[] = {"bounding", "effective", "inheritable", "permitted", "ambient"};

Value CapArray(const CapSet& caps) {
  Value arr = Value::Array();
  for (const auto& n : CapNames(caps)) arr.Append(Value::String(n));
  return arr;
}

std::string Join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

Status FitUser(Value* process, const std::string& path, const Profile& profile,
               const FitOptions& opts, Outcome* out) {
  const std::string upath = json::Field(path, "user");
  Value* user = process->Find("user");
  if (user != nullptr) MOAT_TRY(json::ExpectType(*user, json::Type::kObject, upath));
  uint32_t uid = 0, gid = 0;
  if (user != nullptr) {
    if (const Value* u = user->Find("uid")) {
      MOAT_ASSIGN_OR_RETURN(uid, ReadUint32(*u, json::Field(upath, "uid")));
    }
    if (const Value* g = user->Find("gid")) {
      MOAT_ASSIGN_OR_RETURN(gid, ReadUint32(*g, json::Field(upath, "gid")));
    }
  }
  out->uid = uid;
  out->gid = gid;
  if (uid != 0 || profile.root == RootPolicy::kAllow) return Status::Ok();
  if (profile.root == RootPolicy::kRefuse || opts.refuse_reductions) {
    out->denials.push_back(upath + ": runs as uid 0, and profile \"" + profile.name +
                           "\" does not allow root");
    return Status::Ok();
  }
  Value& u = process->Child("user");
  u.Set("uid", Value::Number(profile.remap_uid));
  u.Set("gid", Value::Number(profile.remap_gid));
  std::string extra;
  if (Value* groups = u.Find("additionalGids")) {
    MOAT_TRY(json::ExpectType(*groups, json::Type::kArray, json::Field(upath, "additionalGids")));
    auto& items = groups->items();
    size_t before = items.size();
    items.erase(std::remove_if(items.begin(), items.end(),
                               [](const Value& g) { return g.is_number() && g.text() == "0"; }),
                items.end());
    if (items.size() != before) extra = ", additional gid 0 removed";
  }
  out->uid = profile.remap_uid;
  out->gid = profile.remap_gid;
  out->changes.push_back(upath + ": uid 0 gid " + std::to_string(gid) + " -> uid " +
                         std::to_string(profile.remap_uid) + " gid " +
                         std::to_string(profile.remap_gid) + extra);
  return Status::Ok();
}

Status FitCaps(Value* process, const std::string& path, const Profile& profile,
               const FitOptions& opts, Outcome* out) {
  const std::string cpath = json::Field(path, "capabilities");
  Value* caps = process->Find("capabilities");
  if (caps != nullptr && !caps->is_null()) {
    MOAT_TRY(json::ExpectType(*caps, json::Type::kObject, cpath));
  }
  bool touched = false;
  Value updated = caps != nullptr && caps->is_object() ? *caps : Value::Object();
  for (const char* set : kCapSets) {
    const std::string spath = json::Field(cpath, set);
    CapSet have;
    if (const Value* arr = updated.Find(set); arr != nullptr && !arr->is_null()) {
      MOAT_ASSIGN_OR_RETURN(have, ReadCapArray(*arr, spath));
    }
    CapSet want = profile.Apply(have);
    if (opts.ceiling != nullptr) {
      CapSet limited;
      std::set_intersection(want.begin(), want.end(), opts.ceiling->begin(), opts.ceiling->end(),
                            std::inserter(limited, limited.end()));
      want = limited;
    }
    if (std::string(set) == "bounding") out->bounding = want;
    if (want == have) continue;
    CapSet removed, added;
    std::set_difference(have.begin(), have.end(), want.begin(), want.end(),
                        std::inserter(removed, removed.end()));
    std::set_difference(want.begin(), want.end(), have.begin(), have.end(),
                        std::inserter(added, added.end()));
    if (opts.refuse_reductions && !removed.empty()) {
      out->denials.push_back(spath + ": asks for " + Join(CapNames(removed)) +
                             ", which profile \"" + profile.name + "\" does not give");
      continue;
    }
    std::string what;
    if (!removed.empty()) what += "dropped " + Join(CapNames(removed));
    if (!added.empty())
      what += std::string(what.empty() ? "" : "; ") + "added " + Join(CapNames(added));
    out->changes.push_back(spath + ": " + what);
    updated.Set(set, CapArray(want));
    touched = true;
  }
  if (touched) process->Set("capabilities", std::move(updated));
  return Status::Ok();
}

Status FitNoNewPrivileges(Value* process, const std::string& path, const Profile& profile,
                          Outcome* out) {
  if (!profile.no_new_privileges.value_or(false)) return Status::Ok();
  const std::string npath = json::Field(path, "noNewPrivileges");
  bool have = false;
  if (const Value* v = process->Find("noNewPrivileges"); v != nullptr && !v->is_null()) {
    MOAT_ASSIGN_OR_RETURN(have, json::ReadBool(*v, npath));
  }
  if (have) return Status::Ok();
  process->Set("noNewPrivileges", Value::Bool(true));
  out->changes.push_back(npath + ": false -> true");
  return Status::Ok();
}

}  // namespace

Status FitProcess(Value* process, const std::string& path, const Profile& profile,
                  const FitOptions& opts, Outcome* out) {
  MOAT_TRY(json::ExpectType(*process, json::Type::kObject, path));
  MOAT_TRY(FitUser(process, path, profile, opts, out));
  MOAT_TRY(FitCaps(process, path, profile, opts, out));
  MOAT_TRY(FitNoNewPrivileges(process, path, profile, out));
  return Status::Ok();
}

}  // namespace moat::launcher
