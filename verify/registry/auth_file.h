// Registry credentials from the files Docker and containers/image keep them
// in. Both use one shape:
//
//   {"auths": {"registry.example": {"auth": "<base64 of user:password>"}, ...}}
//
// Docker's ~/.docker/config.json keys Docker Hub as "https://index.docker.io/v1/"
// and may write a URL ("https://host/v2/") as the key; containers' auth.json
// also allows "host/namespace/repo" keys, the longest matching one winning.
// Credential helpers (credsStore, credHelpers) would run a program: moat does
// not run them, and an entry without "auth" gives no credentials.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace moat::verify {

struct Credentials {
  std::string username;
  std::string password;
  /// The file and key they came from, for messages (never the secret).
  std::string origin;
};

/// One parsed auth file: its keys (normalised: no scheme, no trailing "/v1/"
/// or "/v2/", Docker Hub's index as "docker.io") with their credentials.
struct AuthFile {
  std::string path;
  std::vector<std::pair<std::string, Credentials>> entries;
};

/// Parses an auth file's text. Unknown members are ignored (they only ever
/// carry settings, never credentials moat would use); a malformed "auth"
/// (not base64, no ':') is an error naming the file and key.
Result<AuthFile> ParseAuthFile(std::string_view text, const std::string& path);

/// The credentials for `domain`/`path` ("docker.io", "library/busybox"), the
/// longest matching key first ("host/ns/repo", "host/ns", "host"); nullopt
/// when none matches.
std::optional<Credentials> FindCredentials(const AuthFile& file, std::string_view domain,
                                           std::string_view path);

/// The auth files looked at when no --authfile is given, in containers/
/// image's order: $XDG_RUNTIME_DIR/containers/auth.json (or, for root,
/// /run/containers/0/auth.json), $HOME/.config/containers/auth.json,
/// $HOME/.docker/config.json. The first that names the registry wins.
std::vector<std::string> DefaultAuthFiles();

}  // namespace moat::verify
