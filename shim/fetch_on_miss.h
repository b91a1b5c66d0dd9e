// moat.conf `fetch_on_miss`: the one place the create path may reach the
// network, and only through the `moat` CLI (moat-runtime links no network
// code). When the policy refuses an image for which no signature is stored,
// moat-runtime runs `<fetch_on_miss.moat> trust pull REF --timeout-ms N` by
// absolute path (no PATH, no shell, an explicit envp, every other fd closed),
// kills it at the timeout, and judges again. It fails closed: a fetch that
// fails, times out or stores nothing usable leaves the refusal in place.
#pragma once

#include <string>

#include "shim/config.h"

namespace moat::shim {

struct FetchOutcome {
  bool ok = false;  // exited 0 within the timeout
  /// For the audit record and the refusal: "moat trust pull REF: ok (85 ms)",
  /// "...: exit 1: <last line of its stderr>", "...: killed after 3000 ms".
  std::string summary;
};

/// Runs the fetch and waits at most config.fetch_on_miss.timeout_ms.
FetchOutcome FetchOnMiss(const Config& config, const std::string& reference);

}  // namespace moat::shim
