#include "verify/registry/auth_file.h"

#include <unistd.h>

#include <cstdlib>

#include "base/json.h"
#include "verify/common/base64.h"

namespace moat::verify {

namespace {

// "https://index.docker.io/v1/" -> "docker.io"; "https://host/v2/" -> "host".
std::string NormaliseKey(std::string_view key) {
  for (std::string_view scheme : {"https://", "http://"}) {
    if (key.substr(0, scheme.size()) == scheme) {
      key.remove_prefix(scheme.size());
      // A URL key names a host; its path (/v1/, /v2/) is not a repository.
      key = key.substr(0, key.find('/'));
      break;
    }
  }
  while (!key.empty() && key.back() == '/') key.remove_suffix(1);
  std::string k(key);
  if (k == "index.docker.io" || k == "registry-1.docker.io") return "docker.io";
  if (k.rfind("index.docker.io/", 0) == 0) return "docker.io" + k.substr(15);
  return k;
}

}  // namespace

Result<AuthFile> ParseAuthFile(std::string_view text, const std::string& path) {
  json::Limits limits;
  limits.max_bytes = 1u << 20;
  auto parsed = json::Parse(text, limits);
  if (!parsed.ok()) return parsed.error().Wrap(path);
  const json::Value& doc = *parsed;
  if (!doc.is_object()) return Error{path + ": not a JSON object"};
  AuthFile file{path, {}};
  const json::Value* auths = doc.Find("auths");
  if (auths == nullptr || auths->is_null()) return file;
  if (!auths->is_object()) return Error{path + ": auths: not an object"};
  for (const auto& [key, entry] : auths->members()) {
    const std::string where = path + ": auths[" + json::Quote(key) + "]";
    if (!entry.is_object()) return Error{where + ": not an object"};
    const json::Value* auth = entry.Find("auth");
    if (auth == nullptr || (auth->is_string() && auth->text().empty())) continue;
    if (!auth->is_string()) return Error{where + ": auth: not a string"};
    auto decoded = DecodeBase64(auth->text());
    if (!decoded.ok()) return Error{where + ": auth: not base64"};
    const size_t colon = decoded->find(':');
    if (colon == std::string::npos) return Error{where + ": auth: not base64 of user:password"};
    Credentials c{decoded->substr(0, colon), decoded->substr(colon + 1), where};
    file.entries.emplace_back(NormaliseKey(key), std::move(c));
  }
  return file;
}

std::optional<Credentials> FindCredentials(const AuthFile& file, std::string_view domain,
                                           std::string_view path) {
  std::string want = std::string(domain) + (path.empty() ? "" : "/") + std::string(path);
  for (;;) {
    for (const auto& [key, creds] : file.entries) {
      if (key == want) return creds;
    }
    const size_t slash = want.rfind('/');
    if (slash == std::string::npos || want.size() <= domain.size()) return std::nullopt;
    want.resize(slash);
    if (want.size() < domain.size()) return std::nullopt;
  }
}

std::vector<std::string> DefaultAuthFiles() {
  std::vector<std::string> files;
  const char* xdg = std::getenv("XDG_RUNTIME_DIR");
  if (xdg != nullptr && xdg[0] == '/') {
    files.push_back(std::string(xdg) + "/containers/auth.json");
  } else if (::geteuid() == 0) {
    files.emplace_back("/run/containers/0/auth.json");
  }
  const char* home = std::getenv("HOME");
  if (home != nullptr && home[0] == '/') {
    files.push_back(std::string(home) + "/.config/containers/auth.json");
    files.push_back(std::string(home) + "/.docker/config.json");
  }
  return files;
}

}  // namespace moat::verify
