#include "verify/common/yaml.h"

#include <yaml.h>

#include <set>

#include "base/json.h"

namespace moat::verify::yaml {
namespace {

std::string At(size_t line, size_t column) {
  return "line " + std::to_string(line) + ", column " + std::to_string(column);
}

class Parser {
 public:
  explicit Parser(std::string_view text) {
    ok_ = yaml_parser_initialize(&parser_) != 0;
    if (ok_) {
      yaml_parser_set_input_string(&parser_, reinterpret_cast<const unsigned char*>(text.data()),
                                   text.size());
    }
  }
  ~Parser() {
    if (ok_) yaml_parser_delete(&parser_);
  }
  Parser(const Parser&) = delete;
  Parser& operator=(const Parser&) = delete;

  bool ok() const { return ok_; }
  yaml_parser_t* get() { return &parser_; }

 private:
  yaml_parser_t parser_{};
  bool ok_ = false;
};

class Event {
 public:
  Event() = default;
  ~Event() {
    if (live_) yaml_event_delete(&event_);
  }
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;

  /// Parses the next event; false (with the parser's error) on failure.
  bool Next(yaml_parser_t* p) {
    if (live_) yaml_event_delete(&event_);
    live_ = yaml_parser_parse(p, &event_) != 0;
    return live_;
  }
  const yaml_event_t& operator*() const { return event_; }
  const yaml_event_t* operator->() const { return &event_; }

 private:
  yaml_event_t event_{};
  bool live_ = false;
};

// A node under construction and, for a mapping, the key waiting for its value.
struct Frame {
  Node node;
  bool have_key = false;
  std::string key;
  std::set<std::string> seen;
};

Error ParserError(yaml_parser_t* p) {
  std::string what = p->problem != nullptr ? p->problem : "invalid YAML";
  if (p->context != nullptr) what = std::string(p->context) + ": " + what;
  return Error{At(p->problem_mark.line + 1, p->problem_mark.column + 1) + ": " + what};
}

}  // namespace

Node::Node() = default;
Node::~Node() = default;
Node::Node(const Node&) = default;
Node::Node(Node&&) noexcept = default;
Node& Node::operator=(const Node&) = default;
Node& Node::operator=(Node&&) noexcept = default;

bool Node::IsNull() const {
  return kind == Kind::kScalar && plain &&
         (value.empty() || value == "~" || value == "null" || value == "Null" || value == "NULL");
}

const Node* Node::Find(std::string_view key) const {
  if (kind != Kind::kMapping) return nullptr;
  for (const auto& [k, v] : members) {
    if (k == key) return &v;
  }
  return nullptr;
}

std::optional<bool> AsBool(const Node& n) {
  if (n.kind != Node::Kind::kScalar || !n.plain) return std::nullopt;
  if (n.value == "true" || n.value == "True" || n.value == "TRUE") return true;
  if (n.value == "false" || n.value == "False" || n.value == "FALSE") return false;
  return std::nullopt;
}

const char* KindName(Node::Kind k) {
  switch (k) {
    case Node::Kind::kScalar:
      return "scalar";
    case Node::Kind::kMapping:
      return "mapping";
    case Node::Kind::kSequence:
      return "sequence";
  }
  return "node";
}

Result<std::optional<Node>> Parse(std::string_view text, const Limits& limits) {
  if (text.size() > limits.max_bytes) {
    return Error{"larger than the limit of " + std::to_string(limits.max_bytes) + " bytes"};
  }
  Parser parser(text);
  if (!parser.ok()) return Error{"cannot initialise the YAML parser"};
  std::vector<Frame> stack;
  std::optional<Node> root;
  size_t documents = 0;
  Event ev;
  for (;;) {
    if (!ev.Next(parser.get())) return ParserError(parser.get());
    const size_t line = ev->start_mark.line + 1;
    const size_t column = ev->start_mark.column + 1;
    const std::string at = At(line, column);
    std::optional<Node> done;  // a node completed by this event
    switch (ev->type) {
      case YAML_STREAM_START_EVENT:
      case YAML_DOCUMENT_END_EVENT:
      case YAML_NO_EVENT:
        continue;
      case YAML_STREAM_END_EVENT:
        return root;
      case YAML_DOCUMENT_START_EVENT:
        if (++documents > 1) return Error{at + ": more than one YAML document"};
        continue;
      case YAML_ALIAS_EVENT:
        return Error{at + ": aliases are not supported"};
      case YAML_SCALAR_EVENT: {
        if (ev->data.scalar.anchor != nullptr) return Error{at + ": anchors are not supported"};
        if (ev->data.scalar.tag != nullptr) return Error{at + ": explicit tags are not supported"};
        Node n;
        n.kind = Node::Kind::kScalar;
        n.value.assign(reinterpret_cast<const char*>(ev->data.scalar.value),
                       ev->data.scalar.length);
        n.plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
        n.line = line;
        n.column = column;
        done = std::move(n);
        break;
      }
      case YAML_SEQUENCE_START_EVENT:
      case YAML_MAPPING_START_EVENT: {
        const bool seq = ev->type == YAML_SEQUENCE_START_EVENT;
        const yaml_char_t* anchor =
            seq ? ev->data.sequence_start.anchor : ev->data.mapping_start.anchor;
        const yaml_char_t* tag = seq ? ev->data.sequence_start.tag : ev->data.mapping_start.tag;
        if (anchor != nullptr) return Error{at + ": anchors are not supported"};
        if (tag != nullptr) return Error{at + ": explicit tags are not supported"};
        if (stack.size() >= limits.max_depth) {
          return Error{at + ": nested deeper than " + std::to_string(limits.max_depth)};
        }
        Frame f;
        f.node.kind = seq ? Node::Kind::kSequence : Node::Kind::kMapping;
        f.node.line = line;
        f.node.column = column;
        stack.push_back(std::move(f));
        continue;
      }
      case YAML_SEQUENCE_END_EVENT:
      case YAML_MAPPING_END_EVENT:
        if (stack.empty()) return Error{at + ": unbalanced YAML events"};
        done = std::move(stack.back().node);
        stack.pop_back();
        break;
    }
    if (!done) continue;
    if (stack.empty()) {
      root = std::move(done);
      continue;
    }
    Frame& parent = stack.back();
    if (parent.node.kind == Node::Kind::kSequence) {
      parent.node.items.push_back(std::move(*done));
    } else if (!parent.have_key) {
      if (done->kind != Node::Kind::kScalar) {
        return Error{At(done->line, done->column) + ": mapping keys must be scalars"};
      }
      if (!parent.seen.insert(done->value).second) {
        return Error{At(done->line, done->column) + ": duplicate key " + json::Quote(done->value)};
      }
      parent.key = std::move(done->value);
      parent.have_key = true;
    } else {
      parent.node.members.emplace_back(std::move(parent.key), std::move(*done));
      parent.have_key = false;
    }
  }
}

}  // namespace moat::verify::yaml
