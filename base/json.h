// A strict JSON document model for files moat reads and rewrites.
//
// Parsing rejects what yajl's tree API lets through and what Go's decoder
// (runc) would read differently: duplicate keys at any level (yajl keeps the
// first, Go the last), nesting deeper than a limit, comments, invalid UTF-8,
// trailing data. Object key order and the exact text of numbers are kept so
// that a rewrite changes only what moat changes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"

namespace moat::json {

struct Builder;

enum class Type { kNull, kBool, kNumber, kString, kArray, kObject };

/// One JSON value. Numbers keep their source text in `text`.
class Value {
 public:
  using Member = std::pair<std::string, Value>;

  Value() = default;
  static Value Null() { return Value(); }
  static Value Bool(bool b);
  static Value Number(int64_t n);
  static Value NumberText(std::string text);
  static Value String(std::string s);
  static Value Array();
  static Value Object();

  Type type() const { return type_; }
  bool is_null() const { return type_ == Type::kNull; }
  bool is_bool() const { return type_ == Type::kBool; }
  bool is_number() const { return type_ == Type::kNumber; }
  bool is_string() const { return type_ == Type::kString; }
  bool is_array() const { return type_ == Type::kArray; }
  bool is_object() const { return type_ == Type::kObject; }

  bool bool_value() const { return bool_; }
  /// String contents, or a number's source text.
  const std::string& text() const { return text_; }
  /// A number as a 64-bit integer; false if it is not an integer in range.
  bool AsInt64(int64_t* out) const;

  std::vector<Value>& items() { return items_; }
  const std::vector<Value>& items() const { return items_; }
  std::vector<Member>& members() { return members_; }
  const std::vector<Member>& members() const { return members_; }

  /// Object lookup; nullptr when absent or when this is not an object.
  const Value* Find(std::string_view key) const;
  Value* Find(std::string_view key);
  /// Sets key to v, keeping its position when it exists, appending otherwise.
  /// Turns a null into an empty object first.
  Value& Set(std::string_view key, Value v);
  /// Returns the member `key`, creating an empty object there when absent.
  Value& Child(std::string_view key);
  bool Erase(std::string_view key);
  void Append(Value v) { items_.push_back(std::move(v)); }

  bool operator==(const Value& o) const;
  bool operator!=(const Value& o) const { return !(*this == o); }

 private:
  Type type_ = Type::kNull;
  bool bool_ = false;
  std::string text_;
  std::vector<Value> items_;
  std::vector<Member> members_;
  bool fold_ = false;  // lookups fold keys as Go does (set by Parse)

  friend struct Builder;
};

/// Parser limits. Defaults suit runtime configuration files.
struct Limits {
  size_t max_depth = 64;
  size_t max_bytes = 16u << 20;
  /// Values (scalars, arrays and objects) in the whole document. A Value
  /// costs ~100-200 bytes where its text may take 3 ("[],"), so the byte
  /// limit alone would let 16 MB of input take ~800 MB: this bounds memory
  /// to some 50 MB. Real configuration files hold a few thousand.
  size_t max_values = 1u << 18;
  /// Compare object keys as Go's encoding/json matches struct fields
  /// (case-insensitive, long s = s, Kelvin = k): duplicates under that fold
  /// are rejected and lookups on the parsed objects fold the same way. For
  /// documents runc reads (config.json, process.json, resources).
  bool go_fold_keys = false;
};

/// Parses one JSON document. Errors say where: "line 3, column 7: duplicate key \"a\"".
Result<Value> Parse(std::string_view text, const Limits& limits = Limits());

/// Serialises compactly (pretty = false) or with two-space indent.
std::string Serialize(const Value& v, bool pretty = false);

/// Quotes and escapes a string as a JSON string literal.
std::string Quote(std::string_view s);

/// Path helpers for messages: Field("process", "user") = "process.user",
/// Index("mounts", 3) = "mounts[3]".
std::string Field(const std::string& path, std::string_view key);
std::string Index(const std::string& path, size_t i);

/// The name of a type for messages ("object", "string", ...).
const char* TypeName(Type t);

}  // namespace moat::json
