#include "base/json_read.h"

namespace moat::json {

Status ExpectType(const Value& v, Type t, const std::string& path) {
  if (v.type() == t) return Status::Ok();
  return Error{path + ": expected " + TypeName(t) + ", got " + TypeName(v.type())};
}

Status CheckObject(const Value& v, const std::string& path,
                   std::initializer_list<std::string_view> known) {
  MOAT_TRY(ExpectType(v, Type::kObject, path.empty() ? "(top level)" : path));
  for (const auto& [key, value] : v.members()) {
    bool ok = false;
    for (std::string_view k : known) ok = ok || (k == key);
    if (!ok) return Error{Field(path, key) + ": unknown key"};
  }
  return Status::Ok();
}

Result<std::string> ReadString(const Value& v, const std::string& path) {
  MOAT_TRY(ExpectType(v, Type::kString, path));
  return v.text();
}

Result<std::string> ReadAbsolutePath(const Value& v, const std::string& path) {
  MOAT_ASSIGN_OR_RETURN(auto s, ReadString(v, path));
  if (s.empty() || s[0] != '/') return Error{path + ": " + Quote(s) + " is not an absolute path"};
  return s;
}

Result<bool> ReadBool(const Value& v, const std::string& path) {
  MOAT_TRY(ExpectType(v, Type::kBool, path));
  return v.bool_value();
}

Result<int64_t> ReadInt(const Value& v, const std::string& path, int64_t min, int64_t max) {
  MOAT_TRY(ExpectType(v, Type::kNumber, path));
  int64_t n = 0;
  if (!v.AsInt64(&n)) return Error{path + ": expected an integer, got " + v.text()};
  if (n < min || n > max) {
    return Error{path + ": " + v.text() + " is out of range [" + std::to_string(min) + ", " +
                 std::to_string(max) + "]"};
  }
  return n;
}

Result<std::vector<std::string>> ReadStringArray(const Value& v, const std::string& path) {
  MOAT_TRY(ExpectType(v, Type::kArray, path));
  std::vector<std::string> out;
  for (size_t i = 0; i < v.items().size(); ++i) {
    auto s = ReadString(v.items()[i], Index(path, i));
    if (!s.ok()) return s.error();
    out.push_back(std::move(s.value()));
  }
  return out;
}

Result<std::string> ReadNonEmptyMember(const Value& obj, std::string_view key,
                                       const std::string& path) {
  const Value* v = obj.Find(key);
  if (v == nullptr) return Error{Field(path, key) + ": missing"};
  auto s = ReadString(*v, Field(path, key));
  if (s.ok() && s->empty()) return Error{Field(path, key) + ": empty"};
  return s;
}

}  // namespace moat::json
