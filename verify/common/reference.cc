// Docker reference grammar (docker/distribution reference/regexp.go, as
// forked by containers/image docker/reference) written out by hand:
//
//   reference      := name [ ":" tag ] [ "@" digest ]
//   name           := [ domain "/" ] path-component [ "/" path-component ]*
//   domain         := host [ ":" port ]
//   host           := domain-label [ "." domain-label ]* | "[" ipv6-hex-and-colons "]"
//   domain-label   := /[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]/
//   port           := /[0-9]+/
//   path-component := /[a-z0-9]+/ [ separator /[a-z0-9]+/ ]*
//   separator      := "." | "_" | "__" | "-"+
//   tag            := /[\w][\w.-]{0,127}/
//   digest         := "sha256:" /[a-f0-9]{64}/      (moat accepts sha256 only)
//
// Normalisation is containers/image's splitDockerDomain: with no "/" the
// whole input is a docker.io/library/ name; otherwise the first component is a
// domain if it contains "." or ":", is "localhost", or has upper case (path
// components cannot); "index.docker.io" becomes docker.io; a single-component
// docker.io path gets "library/".
#include "verify/common/reference.h"

#include "base/json.h"

namespace moat::verify {
namespace {

constexpr std::string_view kDefaultDomain = "docker.io";
constexpr std::string_view kLegacyDefaultDomain = "index.docker.io";
constexpr std::string_view kOfficialRepoPrefix = "library/";
constexpr size_t kNameTotalLengthMax = 255;
constexpr size_t kTagLengthMax = 128;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || IsDigit(c); }
bool IsAlnum(char c) { return IsLowerAlnum(c) || (c >= 'A' && c <= 'Z'); }
bool IsWordChar(char c) { return IsAlnum(c) || c == '_'; }
bool IsLowerHex(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f'); }
bool IsHex(char c) { return IsLowerHex(c) || (c >= 'A' && c <= 'F'); }

bool IsDomainLabel(std::string_view s) {
  if (s.empty() || !IsAlnum(s.front()) || !IsAlnum(s.back())) return false;
  for (char c : s) {
    if (!IsAlnum(c) && c != '-') return false;
  }
  return true;
}

bool IsPathComponent(std::string_view s) {
  size_t i = 0;
  const size_t n = s.size();
  if (n == 0 || !IsLowerAlnum(s[0])) return false;
  while (i < n) {
    if (IsLowerAlnum(s[i])) {
      ++i;
      continue;
    }
    if (s[i] == '.') {
      ++i;
    } else if (s[i] == '_') {
      ++i;
      if (i < n && s[i] == '_') ++i;
    } else if (s[i] == '-') {
      while (i < n && s[i] == '-') ++i;
    } else {
      return false;
    }
    // A separator must be followed by an alphanumeric run.
    if (i >= n || !IsLowerAlnum(s[i])) return false;
  }
  return true;
}

bool HasUpper(std::string_view s) {
  for (char c : s) {
    if (c >= 'A' && c <= 'Z') return true;
  }
  return false;
}

std::string ToLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool IsAnchoredIdentifier(std::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!IsLowerHex(c)) return false;
  }
  return true;
}

// distribution's digest grammar: algorithm components joined by [-_+.], a
// colon, then at least 32 hex digits. Only its sha256 form is accepted here.
Status CheckDigest(std::string_view d) {
  auto colon = d.find(':');
  if (colon == std::string_view::npos || colon == 0) return Error{"invalid digest format"};
  std::string_view alg = d.substr(0, colon);
  std::string_view hex = d.substr(colon + 1);
  bool alg_ok =
      (alg.front() >= 'A' && alg.front() <= 'Z') || (alg.front() >= 'a' && alg.front() <= 'z');
  for (size_t i = 0; alg_ok && i < alg.size(); ++i) {
    char c = alg[i];
    if (IsAlnum(c)) continue;
    bool sep = c == '-' || c == '_' || c == '+' || c == '.';
    // A separator must be followed by a letter.
    alg_ok = sep && i + 1 < alg.size() &&
             ((alg[i + 1] >= 'A' && alg[i + 1] <= 'Z') || (alg[i + 1] >= 'a' && alg[i + 1] <= 'z'));
  }
  bool hex_ok = hex.size() >= 32;
  for (char c : hex) hex_ok = hex_ok && IsHex(c);
  if (!alg_ok || !hex_ok) return Error{"invalid digest format"};
  if (alg != "sha256") {
    return Error{"unsupported digest algorithm " + json::Quote(alg) + " (only sha256)"};
  }
  if (!IsSha256Digest(d)) return Error{"invalid sha256 digest: expected 64 lower-case hex digits"};
  return Status::Ok();
}

Error Invalid(std::string_view s, const std::string& why) {
  return Error{"invalid reference " + json::Quote(s) + ": " + why};
}

}  // namespace

bool IsSha256Digest(std::string_view s) {
  constexpr std::string_view kPrefix = "sha256:";
  if (s.size() != kPrefix.size() + 64 || s.substr(0, kPrefix.size()) != kPrefix) return false;
  for (char c : s.substr(kPrefix.size())) {
    if (!IsLowerHex(c)) return false;
  }
  return true;
}

bool IsValidDomain(std::string_view s) {
  std::string_view host = s;
  std::string_view port;
  bool has_port = false;
  if (!s.empty() && s.front() == '[') {
    auto close = s.find(']');
    if (close == std::string_view::npos) return false;
    host = s.substr(0, close + 1);
    std::string_view rest = s.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return false;
      has_port = true;
      port = rest.substr(1);
    }
    std::string_view inner = host.substr(1, host.size() - 2);
    if (inner.empty()) return false;
    for (char c : inner) {
      if (!IsHex(c) && c != ':') return false;
    }
  } else {
    auto colon = s.find(':');
    if (colon != std::string_view::npos) {
      host = s.substr(0, colon);
      has_port = true;
      port = s.substr(colon + 1);
    }
    size_t start = 0;
    for (;;) {
      auto dot = host.find('.', start);
      std::string_view label =
          host.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
      if (!IsDomainLabel(label)) return false;
      if (dot == std::string_view::npos) break;
      start = dot + 1;
    }
  }
  if (has_port) {
    if (port.empty()) return false;
    for (char c : port) {
      if (!IsDigit(c)) return false;
    }
  }
  return true;
}

bool IsValidDomainName(std::string_view s) {
  return !s.empty() && s.front() != '[' && s.find(':') == std::string_view::npos &&
         IsValidDomain(s);
}

bool LooksLikeDomain(std::string_view first_component) {
  // Path components are lower case, so an upper-case first component can
  // only be a host ("LOCALDOMAIN/debian").
  return first_component.find_first_of(".:") != std::string_view::npos ||
         first_component == "localhost" || HasUpper(first_component);
}

bool IsValidPath(std::string_view s) {
  size_t start = 0;
  for (;;) {
    auto slash = s.find('/', start);
    std::string_view c =
        s.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (!IsPathComponent(c)) return false;
    if (slash == std::string_view::npos) return true;
    start = slash + 1;
  }
}

bool IsValidTag(std::string_view s) {
  if (s.empty() || s.size() > kTagLengthMax || !IsWordChar(s.front())) return false;
  for (char c : s) {
    if (!IsWordChar(c) && c != '.' && c != '-') return false;
  }
  return true;
}

std::string Reference::Name() const { return domain + "/" + path; }

std::string Reference::String() const {
  std::string s = Name();
  if (!tag.empty()) s += ":" + tag;
  if (!digest.empty()) s += "@" + digest;
  return s;
}

Result<Reference> ParseNormalizedNamed(std::string_view s) {
  if (s.empty()) return Invalid(s, "repository name must have at least one component");
  if (IsAnchoredIdentifier(s)) {
    return Invalid(s, "a 64-hex string is an image id, not a repository name");
  }

  // splitDockerDomain.
  Reference ref;
  std::string_view remainder = s;
  auto slash = s.find('/');
  if (slash != std::string_view::npos && LooksLikeDomain(s.substr(0, slash))) {
    ref.domain = std::string(s.substr(0, slash));
    remainder = s.substr(slash + 1);
    if (ref.domain == kLegacyDefaultDomain) ref.domain = std::string(kDefaultDomain);
  } else {
    ref.domain = std::string(kDefaultDomain);
  }
  if (!IsValidDomain(ref.domain))
    return Invalid(s, "invalid registry host " + json::Quote(ref.domain));

  // The digest starts at the first "@"; a tag is whatever follows the first
  // ":" before it (the domain, the only other place for ":", is already gone).
  std::string_view name_tag = remainder;
  auto at = remainder.find('@');
  if (at != std::string_view::npos) {
    name_tag = remainder.substr(0, at);
    std::string_view digest = remainder.substr(at + 1);
    Status st = CheckDigest(digest);
    if (!st.ok()) return Invalid(s, st.error().message);
    ref.digest = std::string(digest);
  }
  std::string_view path = name_tag;
  auto colon = name_tag.find(':');
  if (colon != std::string_view::npos) {
    path = name_tag.substr(0, colon);
    std::string_view tag = name_tag.substr(colon + 1);
    if (!IsValidTag(tag)) return Invalid(s, "invalid tag " + json::Quote(tag));
    ref.tag = std::string(tag);
  }
  if (path.empty()) return Invalid(s, "repository name must have at least one component");
  if (!IsValidPath(path)) {
    if (HasUpper(path) && IsValidPath(ToLower(path))) {
      return Invalid(s, "repository name must be lowercase");
    }
    return Invalid(s, "invalid repository name " + json::Quote(path));
  }
  ref.path = std::string(path);
  if (ref.domain == kDefaultDomain && ref.path.find('/') == std::string::npos) {
    ref.path = std::string(kOfficialRepoPrefix) + ref.path;
  }
  if (ref.Name().size() > kNameTotalLengthMax) {
    return Invalid(s, "repository name must not be more than 255 characters");
  }
  return ref;
}

Result<Reference> ParseNormalizedTagged(std::string_view s) {
  MOAT_ASSIGN_OR_RETURN(auto r, ParseNormalizedNamed(s));
  if (r.tag.empty() && r.digest.empty()) r.tag = "latest";
  return r;
}

Result<Reference> ParseCanonicalNamed(std::string_view s) {
  MOAT_ASSIGN_OR_RETURN(auto r, ParseNormalizedNamed(s));
  if (r.String() != s) {
    return Invalid(s, "not in fully expanded form (that is " + json::Quote(r.String()) + ")");
  }
  return r;
}

bool IsNameOnly(const Reference& r) { return r.tag.empty() && r.digest.empty(); }

}  // namespace moat::verify
