// Reading the signatures stored for one image manifest in a lookaside
// directory (containers/image's layout: <base>/<repo>@sha256=<hex>/signature-N,
// N from 1 up to the first missing file). Signatures are verified
// cryptographically later; this only reads them, boundedly and without
// following symbolic links.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "base/status.h"

namespace moat::verify {

struct LookasideLimits {
  /// A signature is a few hundred bytes to a few KiB; a larger file is refused
  /// from its size alone, before it is read.
  size_t max_file_bytes = 4u << 20;
  /// More files than this is an error (not a silent cut).
  size_t max_files = 128;
};

/// One signature file's bytes, with its path for messages.
struct StoredSignature {
  std::string path;
  std::string bytes;
};

/// Reads `dir`/signature-1, signature-2, ... up to the first that does not
/// exist. A missing `dir` gives an empty list, not an error. `dir` itself and
/// each file are opened with O_NOFOLLOW: a symbolic link, a non-regular
/// file, an oversized file or too many files are errors naming the path.
Result<std::vector<StoredSignature>> ReadLookasideSignatures(
    const std::string& dir, const LookasideLimits& limits = LookasideLimits());

}  // namespace moat::verify
