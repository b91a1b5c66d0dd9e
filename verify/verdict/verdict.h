// Stored scan verdicts, verified: a DSSE envelope (dsse.h) signed by a
// trusted scanner key, whose payload is an in-toto Statement (intoto.h)
// naming the image manifest digest as a subject, with the cosign vuln
// predicate (vuln_predicate.h) and a Trivy or Grype result in it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/json.h"
#include "base/status.h"
#include "verify/signature/signing_key.h"
#include "verify/signature/sigstore.h"
#include "verify/verdict/dsse.h"
#include "verify/verdict/verdict_store.h"
#include "verify/verdict/vuln_predicate.h"

namespace moat::verify {

/// A trusted scanner key file, read but not yet parsed.
struct VerdictKeyFile {
  std::string path;
  std::string pem;
};

/// A trusted scanner public key and the file it came from.
struct VerdictKey {
  std::string path;
  PublicKey key;
};

/// Reads key files: no symlink at the last component, root-owned and not
/// group/world-writable unless `require_root_owned` is false.
Result<std::vector<VerdictKeyFile>> ReadVerdictKeyFiles(const std::vector<std::string>& paths,
                                                        bool require_root_owned = true);

/// Parses PEM public keys (ECDSA, RSA >= 2048 bits, Ed25519).
Result<std::vector<VerdictKey>> ParseVerdictKeys(const std::vector<VerdictKeyFile>& files);

/// ReadVerdictKeyFiles, then ParseVerdictKeys.
Result<std::vector<VerdictKey>> LoadVerdictKeys(const std::vector<std::string>& paths,
                                                bool require_root_owned = true);

/// What a verdict says, read from its (verified) payload.
struct VerdictClaims {
  std::string statement_type;
  std::vector<std::string> subjects;  // "sha256:<hex>" of each subject that has one
  VulnPredicate predicate;
};

/// A verdict whose signature verified and that names `digest`.
struct VerifiedVerdict {
  std::string path;
  std::string digest;  // the manifest digest it was stored under and names
  std::string key;     // path of the key that verified it
  VerdictClaims claims;
};

/// Reads the Statement and predicate of an envelope's payload without
/// checking any signature: only for showing what an envelope claims, or
/// after VerifyDsse. Errors: "payloadType ...", "predicateType ...", ...
Result<VerdictClaims> ReadVerdictClaims(const DsseEnvelope& env);

/// Parses and verifies one envelope as a verdict about `digest`: the DSSE
/// signature by one of `keys`, then payloadType in-toto, predicateType the
/// cosign vuln type, `digest` among the subjects, and a readable predicate.
/// Errors start with `display`.
Result<VerifiedVerdict> VerifyVerdict(std::string_view envelope, const std::string& display,
                                      const std::string& digest,
                                      const std::vector<VerdictKey>& keys);

/// What `moat verdict import` makes: `report` (a Trivy or Grype JSON report
/// of `format`, checked to be readable) as the result of a cosign vuln
/// predicate scanned at `scanned_at` (when absent, the report's own time;
/// neither is an error), in a v1 Statement about `digest` named `name`,
/// signed into a DSSE envelope (JSON text) by `key`.
Result<std::string> MakeVerdictEnvelope(const json::Value& report, ReportFormat format,
                                        const std::string& digest, const std::string& name,
                                        std::optional<int64_t> scanned_at, const SigningKey& key);

struct RejectedVerdict {
  std::string path;
  std::string reason;  // one line, starting with the path
};

/// Every verdict stored for any of `digests`, verified.
struct VerdictCandidates {
  std::vector<VerifiedVerdict> valid;
  std::vector<RejectedVerdict> rejected;
};

/// Reads and verifies the verdicts stored under each digest. Errors are the
/// store's (a directory someone other than root could change, too many
/// files) and the keys' (not PEM public keys); a bad envelope is a
/// rejection, not an error. `cache_dir` (may be empty) keeps verified
/// verdicts between calls (verdict_cache.h); the keys are parsed only when
/// an envelope is not in it.
Result<VerdictCandidates> CollectVerdicts(
    const std::string& store, const std::vector<std::string>& digests,
    const std::vector<VerdictKeyFile>& keys,
    const VerdictStoreOptions& options = VerdictStoreOptions(), const std::string& cache_dir = "");

}  // namespace moat::verify
