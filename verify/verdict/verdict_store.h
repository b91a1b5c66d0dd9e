// The verdict store: signed scan verdicts (DSSE envelopes) kept on the node,
// keyed by the image manifest digest they are about:
//
//   <store>/sha256/<manifest hex>/<sha256 hex of the envelope file>.json
//
// Any number of verdicts per digest (a rescan adds one; the newest valid one
// counts). A file's name is the digest of its bytes, so storing the same
// envelope twice is one file, and a file edited in place no longer matches
// its name. Storing is not trusting: every envelope is verified when used.
// The store and its directories must be root-owned and not writable by
// group or others, like every file moat trusts; files are opened O_NOFOLLOW
// and read with a size cap.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace moat::verify {

struct VerdictStoreOptions {
  /// Refuse directories and files not owned by root or writable by group or
  /// others. Off only where the store is not moat's (a CI job's --store).
  bool require_root_owned = true;
  /// A Trivy report of a large image is a few MiB; base64 adds a third.
  size_t max_file_bytes = 32u << 20;
  /// More verdicts than this for one digest is an error, not a silent cut.
  size_t max_files = 64;
};

/// One stored envelope. `problem` is set (and `bytes` empty) for a file that
/// cannot be used: a symbolic link, not root-owned, too large, or whose
/// bytes do not hash to its name.
struct StoredVerdict {
  std::string path;
  std::string bytes;
  std::string sha256;  // "sha256:<hex>" of `bytes` (= the file name, checked)
  std::string problem;
};

/// `<store>/sha256/<hex>` for "sha256:<hex>".
std::string VerdictDir(const std::string& store, const std::string& digest);

/// Every `<64 hex>.json` file stored for `digest` ("sha256:<hex>"), in name
/// order; other names (temporary files) are skipped. A missing store or
/// digest directory gives an empty list. A directory that is a symbolic link
/// or that someone other than root could change, or too many files, is an
/// error naming the path.
Result<std::vector<StoredVerdict>> ReadVerdicts(
    const std::string& store, const std::string& digest,
    const VerdictStoreOptions& options = VerdictStoreOptions());

/// Stores `envelope` for `digest` (directories created 0755, the file 0644,
/// written atomically) and returns its path; storing an envelope that is
/// already there changes nothing.
Result<std::string> WriteVerdict(const std::string& store, const std::string& digest,
                                 std::string_view envelope,
                                 const VerdictStoreOptions& options = VerdictStoreOptions());

}  // namespace moat::verify
