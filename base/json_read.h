// Typed, strict reading of moat's own JSON files (moat.conf, profiles):
// every error names the field, unknown keys are errors.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "base/json.h"
#include "base/status.h"

namespace moat::json {

/// Fails unless v is an object whose keys are all in `known`:
/// "<path>.<key>: unknown key".
Status CheckObject(const Value& v, const std::string& path,
                   std::initializer_list<std::string_view> known);

/// Checks a value's type: "<path>: expected string, got number".
Status ExpectType(const Value& v, Type t, const std::string& path);

Result<std::string> ReadString(const Value& v, const std::string& path);
/// A string that is an absolute path: "<path>: \"etc\" is not an absolute path".
Result<std::string> ReadAbsolutePath(const Value& v, const std::string& path);
Result<bool> ReadBool(const Value& v, const std::string& path);
/// The string member `key` of `obj`, which must be present and not empty
/// ("<path>.<key>: missing", "<path>.<key>: empty").
Result<std::string> ReadNonEmptyMember(const Value& obj, std::string_view key,
                                       const std::string& path);
/// An integer within [min, max].
Result<int64_t> ReadInt(const Value& v, const std::string& path, int64_t min, int64_t max);
Result<std::vector<std::string>> ReadStringArray(const Value& v, const std::string& path);

}  // namespace moat::json
