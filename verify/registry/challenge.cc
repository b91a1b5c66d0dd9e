#include "verify/registry/challenge.h"

#include <cctype>

namespace moat::verify {

namespace {

bool IsTokenChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 ||
         std::string_view("!#$%&'*+-.^_`|~/:=").find(c) != std::string_view::npos;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

std::string Challenge::Param(std::string_view name) const {
  for (const auto& [k, v] : params) {
    if (k == name) return v;
  }
  return "";
}

Result<Challenge> ParseChallenge(std::string_view h) {
  size_t i = 0;
  auto skip_ws = [&] {
    while (i < h.size() && (h[i] == ' ' || h[i] == '\t')) ++i;
  };
  auto where = [&](const std::string& what) {
    return Error{"WWW-Authenticate: column " + std::to_string(i + 1) + ": " + what};
  };
  skip_ws();
  const size_t start = i;
  while (i < h.size() && IsTokenChar(h[i]) && h[i] != '=') ++i;
  if (i == start) return where("no auth scheme");
  Challenge c{Lower(h.substr(start, i - start)), {}};
  for (;;) {
    skip_ws();
    while (i < h.size() && h[i] == ',') {
      ++i;
      skip_ws();
    }
    if (i >= h.size()) break;
    const size_t ns = i;
    while (i < h.size() && IsTokenChar(h[i]) && h[i] != '=') ++i;
    if (i == ns) return where("expected a parameter name");
    std::string name = Lower(h.substr(ns, i - ns));
    skip_ws();
    if (i >= h.size() || h[i] != '=') {
      // "Bearer realm=..., Basic realm=...": a second challenge starts here.
      break;
    }
    ++i;
    skip_ws();
    std::string value;
    if (i < h.size() && h[i] == '"') {
      ++i;
      bool closed = false;
      while (i < h.size()) {
        char ch = h[i++];
        if (ch == '\\' && i < h.size()) {
          value += h[i++];
        } else if (ch == '"') {
          closed = true;
          break;
        } else {
          value += ch;
        }
      }
      if (!closed) return where("unterminated quoted string");
    } else {
      const size_t vs = i;
      while (i < h.size() && IsTokenChar(h[i])) ++i;
      value = std::string(h.substr(vs, i - vs));
    }
    for (const auto& [k, v] : c.params) {
      if (k == name) return where("duplicate parameter " + name);
    }
    c.params.emplace_back(std::move(name), std::move(value));
    skip_ws();
    if (i < h.size() && h[i] != ',') return where("expected ','");
  }
  return c;
}

std::string UrlEncode(std::string_view s) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) != 0 || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace moat::verify
