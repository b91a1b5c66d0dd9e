// containers-registries.d(5): where the signatures of a docker image are kept
// (the "lookaside" signature storage), as containers/image docker/registries_d.go
// reads it. Every "*.yaml" file of the directory is parsed (libyaml, strictly:
// unknown keys, duplicate keys, more than one document are errors) and merged;
// a `docker` scope or `default-docker` defined in two files is an error.
//
// The runtime never uses the network: only file:// lookaside URLs can be
// used. Others are kept as written and refused, naming the section, when a
// lookup would use them, so that a configuration for unrelated registries
// does not stop moat.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"
#include "verify/common/reference.h"

namespace moat::verify {

/// containers/image's built-in lookaside directory for root, used when no
/// section gives a lookaside URL.
inline constexpr std::string_view kDefaultLookasideDir = "/var/lib/containers/sigstore";

/// One configuration section (under `default-docker` or a `docker` scope).
/// Absent and null values are empty strings / nullopt.
struct LookasideSection {
  std::string lookaside;
  std::string lookaside_staging;  // for writing only; moat never writes
  std::string sigstore;           // old name of lookaside
  std::string sigstore_staging;   // old name of lookaside-staging
  std::optional<bool> use_sigstore_attachments;
  /// The file it came from, and "<file>: docker[\"quay.io\"]" or
  /// "<file>: default-docker", for messages.
  std::string file;
  std::string origin;
};

/// Where to read the signatures of one repository from.
struct LookasideBase {
  /// A local directory, without trailing "/" ("" for the root directory,
  /// file:///): SignatureDir puts the repository path under it.
  std::string dir;
  /// The section and key that gave it ("<file>: docker[\"quay.io\"].lookaside"),
  /// or "built-in default".
  std::string origin;
};

struct RegistriesD {
  std::optional<LookasideSection> default_docker;
  /// Scope (same forms as policy.json docker scopes) → section.
  std::map<std::string, LookasideSection> docker;

  /// The lookaside base for `ref`, as containers/image chooses it for reading:
  /// the first of DockerScopes(ref) with a section whose `lookaside` (else
  /// `sigstore`) is set, then default-docker's, then kDefaultLookasideDir. A
  /// matching section without either URL does not stop the search (the code's
  /// behaviour; containers-registries.d(5) describes the most specific
  /// section as final). A non-file URL is an error naming the section.
  Result<LookasideBase> LookasideFor(const Reference& ref) const;

  /// use-sigstore-attachments for `ref`: the first of DockerScopes(ref) with
  /// the key set, then default-docker, else false.
  bool UseSigstoreAttachments(const Reference& ref) const;
};

struct RegistriesDOptions {
  /// Refuse a directory someone other than root can add files to, and files
  /// not owned by root or writable by group/others.
  bool require_root_owned = true;
  size_t max_file_bytes = 1u << 20;
  size_t max_files = 1000;
};

/// Parses one YAML file. `display` names it in errors:
/// "<display>: docker[\"quay.io\"].lookasid: unknown key".
Result<RegistriesD> ParseRegistriesYaml(std::string_view text, const std::string& display);

/// Adds `from` into `into`; a scope or default-docker present in both is an
/// error naming both origins.
Status MergeRegistriesD(RegistriesD* into, RegistriesD from);

/// Reads every "*.yaml" regular file of `dir` in name order (symlinks are
/// refused) and merges them. A missing directory is an empty configuration,
/// as for containers/image.
Result<RegistriesD> LoadRegistriesD(const std::string& dir,
                                    const RegistriesDOptions& options = RegistriesDOptions());

/// The local path of a file:// URL ("file:///var/lib/sigs/" → "/var/lib/sigs"),
/// percent-escapes decoded, trailing "/" removed. Refuses other schemes, a
/// host, a query or fragment, "." or ".." components and NUL.
Result<std::string> FileUrlPath(std::string_view url);

/// The signature directory of a manifest: "<base_dir>/<ref.path>@sha256=<hex>"
/// (docker/lookaside.go: the registry host is not part of it).
/// `manifest_digest` must be "sha256:<64 hex>".
Result<std::string> SignatureDir(const std::string& base_dir, const Reference& ref,
                                 std::string_view manifest_digest);

/// "<signature_dir>/signature-<n>"; signatures are numbered from 1 up to the
/// first missing file.
std::string SignaturePath(const std::string& signature_dir, size_t n);

}  // namespace moat::verify
