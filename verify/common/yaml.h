// A strict YAML reader for small configuration files (containers-registries.d),
// built on libyaml's event parser: one document at most, no anchors, aliases
// or explicit tags, duplicate mapping keys and non-scalar keys refused, nesting
// limited. What remains is a plain tree of scalars, mappings and sequences.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"

namespace moat::verify::yaml {

struct Node {
  enum class Kind { kScalar, kMapping, kSequence };

  // Out of line: Node is recursive through std::pair, which must be complete.
  Node();
  ~Node();
  Node(const Node&);
  Node(Node&&) noexcept;
  Node& operator=(const Node&);
  Node& operator=(Node&&) noexcept;

  Kind kind = Kind::kScalar;
  /// Scalar text.
  std::string value;
  /// A plain (unquoted, untagged) scalar: only these resolve to null or booleans.
  bool plain = false;
  /// 1-based position, for messages.
  size_t line = 0;
  size_t column = 0;
  /// Mapping entries in document order (keys are scalars, unique).
  std::vector<std::pair<std::string, Node>> members;
  std::vector<Node> items;

  /// YAML 1.2 core schema null: a plain "", "~", "null", "Null" or "NULL".
  bool IsNull() const;
  /// Mapping lookup; nullptr when absent or not a mapping.
  const Node* Find(std::string_view key) const;
};

struct Limits {
  size_t max_depth = 32;
  size_t max_bytes = 1u << 20;
};

/// Parses text. An empty stream (nothing, or only comments) gives nullopt.
/// Errors read "line 3, column 7: <problem>".
Result<std::optional<Node>> Parse(std::string_view text, const Limits& limits = Limits());

/// A plain YAML 1.2 core-schema boolean: true/True/TRUE or false/False/FALSE.
std::optional<bool> AsBool(const Node& n);

const char* KindName(Node::Kind k);

}  // namespace moat::verify::yaml
