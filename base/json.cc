#include "base/json.h"

#include <yajl/yajl_parse.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <unordered_set>

namespace moat::json {

Value Value::Bool(bool b) {
  Value v;
  v.type_ = Type::kBool;
  v.bool_ = b;
  return v;
}
Value Value::Number(int64_t n) { return NumberText(std::to_string(n)); }
Value Value::NumberText(std::string text) {
  Value v;
  v.type_ = Type::kNumber;
  v.text_ = std::move(text);
  return v;
}
Value Value::String(std::string s) {
  Value v;
  v.type_ = Type::kString;
  v.text_ = std::move(s);
  return v;
}
Value Value::Array() {
  Value v;
  v.type_ = Type::kArray;
  return v;
}
Value Value::Object() {
  Value v;
  v.type_ = Type::kObject;
  return v;
}

bool Value::AsInt64(int64_t* out) const {
  if (type_ != Type::kNumber || text_.empty()) return false;
  for (char c : text_) {
    if (c == '.' || c == 'e' || c == 'E') return false;
  }
  errno = 0;
  char* end = nullptr;
  long long n = std::strtoll(text_.c_str(), &end, 10);
  if (errno != 0 || end == nullptr || *end != '\0') return false;
  *out = n;
  return true;
}

namespace {

// Go's encoding/json matches struct fields case-insensitively, and its fold
// also maps U+017F (long s) to 's' and U+212A (Kelvin sign) to 'k'. Keys are
// compared in this folded form so that moat sees what runc sees.
std::string GoFold(std::string_view key) {
  std::string out;
  out.reserve(key.size());
  for (size_t i = 0; i < key.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(key[i]);
    if (c == 0xC5 && i + 1 < key.size() && static_cast<unsigned char>(key[i + 1]) == 0xBF) {
      out += 's';
      ++i;
    } else if (c == 0xE2 && i + 2 < key.size() && static_cast<unsigned char>(key[i + 1]) == 0x84 &&
               static_cast<unsigned char>(key[i + 2]) == 0xAA) {
      out += 'k';
      i += 2;
    } else if (c >= 'A' && c <= 'Z') {
      out += static_cast<char>(c - 'A' + 'a');
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

}  // namespace

const Value* Value::Find(std::string_view key) const {
  if (type_ != Type::kObject) return nullptr;
  for (const auto& m : members_) {
    if (m.first == key) return &m.second;
  }
  if (!fold_) return nullptr;
  const std::string folded = GoFold(key);
  for (const auto& m : members_) {
    if (GoFold(m.first) == folded) return &m.second;
  }
  return nullptr;
}

Value* Value::Find(std::string_view key) {
  return const_cast<Value*>(static_cast<const Value*>(this)->Find(key));
}

Value& Value::Set(std::string_view key, Value v) {
  if (type_ == Type::kNull) type_ = Type::kObject;
  if (Value* existing = Find(key)) {
    *existing = std::move(v);
    return *existing;
  }
  members_.emplace_back(std::string(key), std::move(v));
  return members_.back().second;
}

Value& Value::Child(std::string_view key) {
  if (type_ == Type::kNull) type_ = Type::kObject;
  if (Value* existing = Find(key)) return *existing;
  members_.emplace_back(std::string(key), Object());
  return members_.back().second;
}

bool Value::Erase(std::string_view key) {
  const Value* target = Find(key);
  if (target == nullptr) return false;
  for (auto it = members_.begin(); it != members_.end(); ++it) {
    if (&it->second == target) {
      members_.erase(it);
      return true;
    }
  }
  return false;
}

bool Value::operator==(const Value& o) const {
  if (type_ != o.type_) return false;
  switch (type_) {
    case Type::kNull:
      return true;
    case Type::kBool:
      return bool_ == o.bool_;
    case Type::kNumber:
    case Type::kString:
      return text_ == o.text_;
    case Type::kArray:
      return items_ == o.items_;
    case Type::kObject:
      return members_ == o.members_;
  }
  return false;
}

namespace {

struct YajlFree {
  void operator()(yajl_handle h) const { yajl_free(h); }
};
using YajlHandle = std::unique_ptr<std::remove_pointer_t<yajl_handle>, YajlFree>;

}  // namespace

// Builds Values from yajl's events. Containers under construction live on an
// explicit stack, so depth costs no recursion here.
struct Builder {
  const Limits* limits;
  bool fold;
  std::vector<Value> stack;                           // open containers
  std::vector<std::string> keys;                      // pending key per open object
  std::vector<std::unordered_set<std::string>> seen;  // keys seen per open container
  Value root;
  bool have_root = false;
  size_t values = 0;
  std::string error;

  int Add(Value v) {
    if (++values > limits->max_values) {
      error = "more than " + std::to_string(limits->max_values) + " values";
      return 0;
    }
    if (stack.empty()) {
      root = std::move(v);
      have_root = true;
      return 1;
    }
    Value& top = stack.back();
    if (top.is_array()) {
      top.Append(std::move(v));
    } else {
      top.members().emplace_back(std::move(keys.back()), std::move(v));
    }
    return 1;
  }
  int Open(Value v) {
    if (stack.size() >= limits->max_depth) {
      error = "nesting deeper than " + std::to_string(limits->max_depth) + " levels";
      return 0;
    }
    v.fold_ = fold && v.is_object();
    stack.push_back(std::move(v));
    keys.emplace_back();
    seen.emplace_back();
    return 1;
  }
  int Close() {
    Value v = std::move(stack.back());
    stack.pop_back();
    keys.pop_back();
    seen.pop_back();
    return Add(std::move(v));
  }
};

namespace {

Builder* B(void* ctx) { return static_cast<Builder*>(ctx); }

int OnNull(void* ctx) { return B(ctx)->Add(Value::Null()); }
int OnBool(void* ctx, int b) { return B(ctx)->Add(Value::Bool(b != 0)); }
int OnNumber(void* ctx, const char* s, size_t n) {
  return B(ctx)->Add(Value::NumberText(std::string(s, n)));
}
int OnString(void* ctx, const unsigned char* s, size_t n) {
  return B(ctx)->Add(Value::String(std::string(reinterpret_cast<const char*>(s), n)));
}
int OnStartMap(void* ctx) { return B(ctx)->Open(Value::Object()); }
int OnKey(void* ctx, const unsigned char* s, size_t n) {
  Builder* b = B(ctx);
  std::string key(reinterpret_cast<const char*>(s), n);
  std::string norm = b->fold ? GoFold(key) : key;
  if (!b->seen.back().insert(norm).second) {
    b->error = "duplicate key " + Quote(key);
    return 0;
  }
  b->keys.back() = std::move(key);
  return 1;
}
int OnEnd(void* ctx) { return B(ctx)->Close(); }
int OnStartArray(void* ctx) { return B(ctx)->Open(Value::Array()); }

const yajl_callbacks kCallbacks = {OnNull,     OnBool, nullptr, nullptr,      OnNumber, OnString,
                                   OnStartMap, OnKey,  OnEnd,   OnStartArray, OnEnd};

std::string Where(std::string_view text, size_t offset) {
  size_t line = 1, col = 1;
  for (size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
  return "line " + std::to_string(line) + ", column " + std::to_string(col);
}

}  // namespace

Result<Value> Parse(std::string_view text, const Limits& limits) {
  if (text.size() > limits.max_bytes) {
    return Error{"document larger than the limit of " + std::to_string(limits.max_bytes) +
                 " bytes"};
  }
  Builder b{&limits, limits.go_fold_keys, {}, {}, {}, {}, false, 0, {}};
  YajlHandle h(yajl_alloc(&kCallbacks, nullptr, &b));
  if (!h) return Error{"out of memory"};
  // Strictness: no comments, UTF-8 validated, one value, no trailing garbage.
  yajl_config(h.get(), yajl_allow_comments, 0);
  yajl_config(h.get(), yajl_dont_validate_strings, 0);
  yajl_config(h.get(), yajl_allow_trailing_garbage, 0);
  yajl_config(h.get(), yajl_allow_multiple_values, 0);
  yajl_config(h.get(), yajl_allow_partial_values, 0);
  const auto* bytes = reinterpret_cast<const unsigned char*>(text.data());
  yajl_status st = yajl_parse(h.get(), bytes, text.size());
  // yajl_get_bytes_consumed counts what the last call consumed, so after a
  // failing yajl_complete_parse (the input ended inside a value) it says 0 or
  // 1: the place to name is then the end of the input.
  bool at_end = false;
  if (st == yajl_status_ok) {
    st = yajl_complete_parse(h.get());
    at_end = true;
  }
  if (st != yajl_status_ok) {
    size_t at = at_end ? text.size() : yajl_get_bytes_consumed(h.get());
    std::string msg = b.error;
    if (msg.empty()) {
      unsigned char* e = yajl_get_error(h.get(), 0, bytes, text.size());
      msg = e != nullptr ? reinterpret_cast<const char*>(e) : "invalid JSON";
      if (e != nullptr) yajl_free_error(h.get(), e);
      while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
      if (msg.rfind("parse error: ", 0) == 0) msg = msg.substr(13);
      if (msg.rfind("lexical error: ", 0) == 0) msg = msg.substr(15);
      auto nl = msg.find('\n');
      if (nl != std::string::npos) msg = msg.substr(0, nl);
    }
    // Release deep partial trees iteratively rather than by recursion.
    while (!b.stack.empty()) b.stack.pop_back();
    return Error{Where(text, at) + ": " + msg};
  }
  if (!b.have_root) return Error{"empty document"};
  return std::move(b.root);
}

namespace {

// Appends `s` as a JSON string literal: runs that need no escape are
// appended whole, the rest one escape at a time.
void AppendQuoted(std::string_view s, std::string* out) {
  *out += '"';
  size_t run = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out->append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"':
        *out += "\\\"";
        break;
      case '\\':
        *out += "\\\\";
        break;
      case '\n':
        *out += "\\n";
        break;
      case '\r':
        *out += "\\r";
        break;
      case '\t':
        *out += "\\t";
        break;
      case '\b':
        *out += "\\b";
        break;
      case '\f':
        *out += "\\f";
        break;
      default: {
        char buf[8];
        (void)std::snprintf(buf, sizeof buf, "\\u%04x", c);
        *out += buf;
      }
    }
  }
  out->append(s.data() + run, s.size() - run);
  *out += '"';
}

}  // namespace

std::string Quote(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  AppendQuoted(s, &out);
  return out;
}

namespace {

void Emit(const Value& v, bool pretty, int indent, std::string* out) {
  auto newline = [&](int level) {
    if (!pretty) return;
    *out += '\n';
    out->append(static_cast<size_t>(level) * 2, ' ');
  };
  switch (v.type()) {
    case Type::kNull:
      *out += "null";
      break;
    case Type::kBool:
      *out += v.bool_value() ? "true" : "false";
      break;
    case Type::kNumber:
      *out += v.text();
      break;
    case Type::kString:
      AppendQuoted(v.text(), out);
      break;
    case Type::kArray: {
      *out += '[';
      bool first = true;
      for (const auto& item : v.items()) {
        if (!first) *out += ',';
        first = false;
        newline(indent + 1);
        Emit(item, pretty, indent + 1, out);
      }
      if (!v.items().empty()) newline(indent);
      *out += ']';
      break;
    }
    case Type::kObject: {
      *out += '{';
      bool first = true;
      for (const auto& [key, item] : v.members()) {
        if (!first) *out += ',';
        first = false;
        newline(indent + 1);
        AppendQuoted(key, out);
        *out += pretty ? ": " : ":";
        Emit(item, pretty, indent + 1, out);
      }
      if (!v.members().empty()) newline(indent);
      *out += '}';
      break;
    }
  }
}

}  // namespace

std::string Serialize(const Value& v, bool pretty) {
  std::string out;
  Emit(v, pretty, 0, &out);
  return out;
}

std::string Field(const std::string& path, std::string_view key) {
  if (path.empty()) return std::string(key);
  return path + "." + std::string(key);
}

std::string Index(const std::string& path, size_t i) {
  return path + "[" + std::to_string(i) + "]";
}

const char* TypeName(Type t) {
  switch (t) {
    case Type::kNull:
      return "null";
    case Type::kBool:
      return "boolean";
    case Type::kNumber:
      return "number";
    case Type::kString:
      return "string";
    case Type::kArray:
      return "array";
    case Type::kObject:
      return "object";
  }
  return "value";
}

}  // namespace moat::json
