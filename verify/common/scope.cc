#include "verify/common/scope.h"

#include "base/json.h"

namespace moat::verify {

std::string DockerScopeIdentity(const Reference& ref) {
  if (!ref.digest.empty()) return ref.Name() + "@" + ref.digest;
  if (!ref.tag.empty()) return ref.Name() + ":" + ref.tag;
  return "";
}

std::vector<std::string> DockerScopes(const Reference& ref) {
  std::vector<std::string> out;
  std::string identity = DockerScopeIdentity(ref);
  if (!identity.empty()) out.push_back(std::move(identity));

  // The repository, then each parent namespace; the last one is the host.
  std::string name = ref.Name();
  for (;;) {
    out.push_back(name);
    auto slash = name.rfind('/');
    if (slash == std::string::npos) break;
    name.resize(slash);
  }

  // Wildcards of the host name, port dropped. An IPv6 literal has no labels.
  std::string host = ref.domain;
  if (!host.empty() && host.front() == '[') return out;
  auto colon = host.find(':');
  if (colon != std::string::npos) host.resize(colon);
  for (auto dot = host.find('.'); dot != std::string::npos; dot = host.find('.')) {
    host.erase(0, dot + 1);
    out.push_back("*." + host);
  }
  return out;
}

Status ValidateDockerScope(std::string_view scope) {
  if (scope.empty()) return Error{"empty scope"};
  if (scope.substr(0, 2) == "*.") {
    if (!IsValidDomainName(scope.substr(2))) {
      return Error{
          "a wildcard scope is \"*.\" and a host name without port, like \"*.example.com\""};
    }
    return Status::Ok();
  }
  if (scope.find('*') != std::string_view::npos) {
    return Error{"\"*\" is allowed only as a leading \"*.\", like \"*.example.com\""};
  }
  auto slash = scope.find('/');
  std::string_view host = scope.substr(0, slash);
  if (!IsValidDomain(host)) {
    return Error{"invalid registry host " + json::Quote(host) +
                 " (scopes use the fully expanded form, like \"docker.io/library/busybox\")"};
  }
  if (!LooksLikeDomain(host)) {
    return Error{json::Quote(host) +
                 " is not a registry host and never matches (scopes use the fully expanded "
                 "form, like \"docker.io/library/busybox\")"};
  }
  if (host == "index.docker.io") {
    return Error{"never matches: Docker Hub images are named \"docker.io/...\""};
  }
  if (slash == std::string_view::npos) return Status::Ok();
  std::string_view rest = scope.substr(slash + 1);
  if (rest.find_first_of(":@") == std::string_view::npos) {
    if (!IsValidPath(rest)) return Error{"invalid repository namespace " + json::Quote(rest)};
    return Status::Ok();
  }
  MOAT_ASSIGN_OR_RETURN(auto ref, ParseCanonicalNamed(scope));
  if (!ref.tag.empty() && !ref.digest.empty()) {
    return Error{"a scope names a tag or a digest, not both"};
  }
  return Status::Ok();
}

}  // namespace moat::verify
