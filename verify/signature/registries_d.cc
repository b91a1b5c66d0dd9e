// containers-registries.d(5), after containers/image docker/registries_d.go.
#include "verify/signature/registries_d.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <memory>
#include <vector>

#include "base/fs.h"
#include "base/json.h"
#include "base/unique_fd.h"
#include "verify/common/scope.h"
#include "verify/common/yaml.h"

namespace moat::verify {
namespace {

using yaml::Node;

struct DirCloser {
  void operator()(DIR* d) const { ::closedir(d); }
};
using DirPtr = std::unique_ptr<DIR, DirCloser>;

std::string ScopeField(std::string_view scope) { return "docker[" + json::Quote(scope) + "]"; }

Status ExpectMapping(const Node& n, const std::string& field) {
  if (n.kind == Node::Kind::kMapping) return Status::Ok();
  return Error{field + ": expected a mapping, got " +
               (n.IsNull() ? std::string("null") : yaml::KindName(n.kind)) + " (line " +
               std::to_string(n.line) + ")"};
}

Result<std::string> ReadString(const Node& n, const std::string& field) {
  if (n.IsNull()) return std::string();
  if (n.kind != Node::Kind::kScalar) {
    return Error{field + ": expected a string, got " + yaml::KindName(n.kind) + " (line " +
                 std::to_string(n.line) + ")"};
  }
  return n.value;
}

Result<LookasideSection> ParseSection(const Node& n, const std::string& display,
                                      const std::string& field) {
  LookasideSection s;
  s.file = display;
  s.origin = display + ": " + field;
  if (n.IsNull()) return s;  // an empty section
  MOAT_TRY(ExpectMapping(n, field));
  for (const auto& [key, value] : n.members) {
    const std::string f = json::Field(field, key);
    std::string* target = key == "lookaside"           ? &s.lookaside
                          : key == "lookaside-staging" ? &s.lookaside_staging
                          : key == "sigstore"          ? &s.sigstore
                          : key == "sigstore-staging"  ? &s.sigstore_staging
                                                       : nullptr;
    if (target != nullptr) {
      auto str = ReadString(value, f);
      if (!str.ok()) return str.error();
      *target = std::move(str.value());
    } else if (key == "use-sigstore-attachments") {
      if (value.IsNull()) continue;
      auto b = yaml::AsBool(value);
      if (!b) {
        return Error{f + ": expected true or false (line " + std::to_string(value.line) + ")"};
      }
      s.use_sigstore_attachments = *b;
    } else {
      return Error{f + ": unknown key (line " + std::to_string(value.line) + ")"};
    }
  }
  return s;
}

Result<RegistriesD> ParseRoot(const Node& root, const std::string& display) {
  RegistriesD out;
  if (root.IsNull()) return out;
  if (root.kind != Node::Kind::kMapping) {
    return Error{"expected a mapping at the top level, got " +
                 std::string(yaml::KindName(root.kind))};
  }
  for (const auto& [key, value] : root.members) {
    if (key == "default-docker") {
      if (value.IsNull()) continue;  // "default-docker:" with everything commented out
      auto s = ParseSection(value, display, key);
      if (!s.ok()) return s.error();
      out.default_docker = std::move(s.value());
    } else if (key == "docker") {
      if (value.IsNull()) continue;
      MOAT_TRY(ExpectMapping(value, key));
      for (const auto& [scope, section] : value.members) {
        const std::string field = ScopeField(scope);
        Status st = ValidateDockerScope(scope);
        if (!st.ok()) return st.error().Wrap(field);
        auto s = ParseSection(section, display, field);
        if (!s.ok()) return s.error();
        out.docker.emplace(scope, std::move(s.value()));
      }
    } else {
      return Error{key + ": unknown key (line " + std::to_string(value.line) + ")"};
    }
  }
  return out;
}

// The URL a section gives for reading, and the key it came from.
std::pair<std::string, std::string> ReadUrl(const LookasideSection& s) {
  if (!s.lookaside.empty()) return {s.lookaside, "lookaside"};
  if (!s.sigstore.empty()) return {s.sigstore, "sigstore"};
  return {"", ""};
}

Result<LookasideBase> Resolve(const LookasideSection& s) {
  auto [url, key] = ReadUrl(s);
  const std::string origin = s.origin + "." + key;
  auto path = FileUrlPath(url);
  if (!path.ok()) return path.error().Wrap(origin);
  return LookasideBase{std::move(path.value()), origin};
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

Result<RegistriesD> ParseRegistriesYaml(std::string_view text, const std::string& display) {
  auto doc = yaml::Parse(text);
  if (!doc.ok()) return doc.error().Wrap(display);
  if (!doc->has_value()) return RegistriesD();
  auto r = ParseRoot(**doc, display);
  if (!r.ok()) return r.error().Wrap(display);
  return r;
}

Status MergeRegistriesD(RegistriesD* into, RegistriesD from) {
  if (from.default_docker) {
    if (into->default_docker) {
      return Error{"\"default-docker\" defined both in " + into->default_docker->file + " and " +
                   from.default_docker->file};
    }
    into->default_docker = std::move(from.default_docker);
  }
  for (auto& [scope, section] : from.docker) {
    auto it = into->docker.find(scope);
    if (it != into->docker.end()) {
      return Error{"\"docker\" scope " + json::Quote(scope) + " defined both in " +
                   it->second.file + " and " + section.file};
    }
    into->docker.emplace(scope, std::move(section));
  }
  return Status::Ok();
}

Result<RegistriesD> LoadRegistriesD(const std::string& dir, const RegistriesDOptions& options) {
  UniqueFd dfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dfd.valid()) {
    if (errno == ENOENT) return RegistriesD();
    return ErrnoError(dir + ": cannot open directory");
  }
  if (options.require_root_owned) MOAT_TRY(CheckDirNotHijackable(dfd.get(), dir));

  std::vector<std::string> names;
  {
    int fd2 = ::fcntl(dfd.get(), F_DUPFD_CLOEXEC, 0);
    if (fd2 < 0) return ErrnoError(dir + ": cannot duplicate descriptor");
    DirPtr d(::fdopendir(fd2));
    if (!d) {
      Error e = ErrnoError(dir + ": cannot list");
      ::close(fd2);
      return e;
    }
    errno = 0;
    while (const dirent* ent = ::readdir(d.get())) {
      std::string_view name = ent->d_name;
      if (name.size() >= 5 && name.substr(name.size() - 5) == ".yaml") {
        names.emplace_back(name);
        if (names.size() > options.max_files) {
          return Error{dir + ": more than " + std::to_string(options.max_files) + " .yaml files"};
        }
      }
    }
    if (errno != 0) return ErrnoError(dir + ": cannot list");
  }
  std::sort(names.begin(), names.end());

  RegistriesD merged;
  for (const std::string& name : names) {
    const std::string display = dir + "/" + name;
    MOAT_ASSIGN_OR_RETURN(auto fd, OpenRegularAt(dfd.get(), name, display));
    if (options.require_root_owned) {
      struct stat st {};
      if (::fstat(fd.get(), &st) != 0) return ErrnoError(display + ": cannot stat");
      MOAT_TRY(CheckRootOwned(st, display));
    }
    MOAT_ASSIGN_OR_RETURN(auto text, ReadFd(fd.get(), display, options.max_file_bytes));
    auto one = ParseRegistriesYaml(text, display);
    if (!one.ok()) return one.error();
    MOAT_TRY(MergeRegistriesD(&merged, std::move(one.value())));
  }
  return merged;
}

Result<LookasideBase> RegistriesD::LookasideFor(const Reference& ref) const {
  for (const std::string& scope : DockerScopes(ref)) {
    auto it = docker.find(scope);
    if (it != docker.end() && !ReadUrl(it->second).first.empty()) return Resolve(it->second);
  }
  if (default_docker && !ReadUrl(*default_docker).first.empty()) return Resolve(*default_docker);
  return LookasideBase{std::string(kDefaultLookasideDir), "built-in default"};
}

bool RegistriesD::UseSigstoreAttachments(const Reference& ref) const {
  for (const std::string& scope : DockerScopes(ref)) {
    auto it = docker.find(scope);
    if (it != docker.end() && it->second.use_sigstore_attachments) {
      return *it->second.use_sigstore_attachments;
    }
  }
  if (default_docker && default_docker->use_sigstore_attachments) {
    return *default_docker->use_sigstore_attachments;
  }
  return false;
}

Result<std::string> FileUrlPath(std::string_view url) {
  const std::string why = json::Quote(url) + " is not a file:// URL";
  auto colon = url.find(':');
  std::string scheme(url.substr(0, colon == std::string_view::npos ? 0 : colon));
  for (char& c : scheme) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  if (colon == std::string_view::npos || scheme != "file") {
    return Error{why +
                 ": moat reads signatures only from local files (the runtime never uses "
                 "the network)"};
  }
  std::string_view rest = url.substr(colon + 1);
  if (rest.substr(0, 2) != "//") return Error{why + ": expected file:///absolute/path"};
  rest.remove_prefix(2);
  auto slash = rest.find('/');
  if (slash != 0) return Error{why + ": a host in a file:// URL is not supported"};
  if (rest.find_first_of("?#") != std::string_view::npos) {
    return Error{why + ": a query or fragment is not supported"};
  }
  std::string path;
  for (size_t i = 0; i < rest.size(); ++i) {
    if (rest[i] != '%') {
      path += rest[i];
      continue;
    }
    int hi = i + 2 < rest.size() ? HexValue(rest[i + 1]) : -1;
    int lo = i + 2 < rest.size() ? HexValue(rest[i + 2]) : -1;
    if (hi < 0 || lo < 0) return Error{why + ": invalid percent-escape"};
    char c = static_cast<char>(hi * 16 + lo);
    if (c == '\0') return Error{why + ": NUL in path"};
    path += c;
    i += 2;
  }
  for (size_t start = 1; start <= path.size();) {
    auto end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    std::string_view comp = std::string_view(path).substr(start, end - start);
    if (comp == "." || comp == "..") return Error{why + ": \".\" and \"..\" are not allowed"};
    start = end + 1;
  }
  while (!path.empty() && path.back() == '/') path.pop_back();
  return path;
}

Result<std::string> SignatureDir(const std::string& base_dir, const Reference& ref,
                                 std::string_view manifest_digest) {
  if (!IsSha256Digest(manifest_digest)) {
    return Error{"invalid manifest digest " + json::Quote(manifest_digest) +
                 ": expected sha256:<64 lower-case hex>"};
  }
  if (ref.path.empty() || !IsValidPath(ref.path)) {
    return Error{"invalid repository path " + json::Quote(ref.path)};
  }
  return base_dir + "/" + ref.path + "@sha256=" + std::string(manifest_digest.substr(7));
}

std::string SignaturePath(const std::string& signature_dir, size_t n) {
  return signature_dir + "/signature-" + std::to_string(n);
}

}  // namespace moat::verify
