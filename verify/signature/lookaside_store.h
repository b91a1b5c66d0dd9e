// Writing signatures into a lookaside directory (<base>/<repo>@sha256=<hex>/),
// as `moat trust import` and `moat trust pull` both do: each new signature
// becomes the next signature-N, written atomically; one whose bytes are
// already stored there is not added again. Storing is not trusting.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"

namespace moat::verify {

struct StoredOutcome {
  std::string path;    // the signature-N that holds it
  bool added = false;  // false: the same bytes were already there
};

/// Stores each of `blobs` in `dir` (created 0755 as needed), in order.
Result<std::vector<StoredOutcome>> StoreSignatures(const std::string& dir,
                                                   const std::vector<std::string>& blobs);

}  // namespace moat::verify
