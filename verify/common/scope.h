// Scopes of the "docker" transport, shared by containers-policy.json(5) and
// containers-registries.d(5): which keys a reference is looked up under, most
// specific first, and which keys can ever match.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "verify/common/reference.h"

namespace moat::verify {

/// The most specific scope of a reference: "docker.io/library/busybox:latest"
/// or "...@sha256:<hex>". With both a tag and a digest the digest form is used
/// (containers/image refuses such references; docker keeps only the digest).
/// Empty for a reference with neither.
std::string DockerScopeIdentity(const Reference& ref);

/// The scopes to look `ref` up under, most specific first, as containers/image
/// (docker/policyconfiguration/naming.go) does: the identity above, then the
/// repository, each parent namespace up to the host ("docker.io/library",
/// "docker.io"), then wildcards of the host without its port, one label off
/// at a time ("a.b.example.com:5000" gives "*.b.example.com", "*.example.com",
/// "*.com"). "*.example.com" therefore never matches "example.com" itself.
/// Neither the transport's "" scope nor a global default is included.
std::vector<std::string> DockerScopes(const Reference& ref);

/// Fails unless `scope` is a non-empty key that DockerScopes can produce:
/// "*.<host name>", "<host>[:port]", "<host>/<namespace or repository>", or a
/// fully expanded "<repository>:<tag>" / "<repository>@sha256:<hex>".
/// containers/image accepts any string (one that can never match is ignored);
/// moat refuses such a typo rather than let it silently fall through to a
/// less specific scope. The message does not name the scope; callers do.
Status ValidateDockerScope(std::string_view scope);

}  // namespace moat::verify
