// The identity of a copy of an image, for `moat verify dir:DIR` and
// `moat verify oci:DIR[:REF]`: the manifests (and, for dir:, the signatures)
// the copy holds, judged for a docker reference the operator names. Only the
// manifests are read and hashed: the config blob and the layers may be absent,
// as a signature covers the manifest digest alone. Not used by create.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "verify/identity/identity.h"

namespace moat::verify {

/// What a copy holds, read (CopyIdentity is pure over it, for tests and fuzzing).
struct CopyFiles {
  /// "dir:/x" or "oci:/x:ref", for evidence.
  std::string where;
  /// The top manifest (dir: manifest.json; oci: the blob index.json names).
  std::string manifest_path;
  std::string manifest;
  /// For a manifest list / OCI index: the bytes of the linux/amd64 manifest,
  /// when the copy holds them, and where they came from.
  std::string instance_path;
  std::string instance;
  /// dir: only: the signatures stored beside each manifest.
  std::vector<CopySignature> signatures;
  bool own_signatures = false;
};

/// The ImageIdentity of a copy, to be judged for `reference` (normalised; empty
/// for a nameless image: only a default of insecureAcceptAnything accepts it).
/// The manifests are classified as create classifies them; an index picks its
/// linux/amd64 entry (as `moat run --image oci:` does) and both the index and
/// that manifest are candidates for a signature, as on create. config_digest is
/// what the (platform) manifest names, not checked against any blob. A
/// reference by digest must name a manifest of the copy.
Result<ImageIdentity> CopyIdentity(const CopyFiles& files, const std::string& reference);

/// A `skopeo copy … dir:DIR` copy: DIR/manifest.json and DIR/signature-N (for
/// an index copied with --all, also <hex>.manifest.json and <hex>.signature-N
/// of the linux/amd64 instance). Symlinks are refused, sizes capped.
Result<ImageIdentity> ResolveDirCopy(const std::string& dir, const std::string& reference);

/// An OCI image layout: the manifest index.json names `ref` (empty: the only
/// one). Judged for `reference` when given, else for `ref` when it is a full
/// docker reference ("registry.example/app:1"), else nameless. Signatures are
/// read from the lookaside as create reads them.
Result<ImageIdentity> ResolveOciCopy(const std::string& dir, const std::string& ref,
                                     const std::string& reference);

}  // namespace moat::verify
